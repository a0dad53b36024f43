/**
 * One error type for everything a user can cause: bad files, bad options, missing models.
 * The CLI and the server print `message` (and `hint`) and never a stack trace for these.
 */
export type ErrorCode =
  | 'BAD_INPUT' // an input file or buffer is unreadable, empty, truncated, not an image
  | 'TOO_LARGE' // more pixels or bytes than allowed
  | 'BAD_OPTION' // an option value is out of range or unknown
  | 'BAD_MODEL' // a model file exists but does not match the expected contract
  | 'MODEL_NOT_FOUND' // no model by that name/path anywhere in the search order
  | 'DOWNLOAD_FAILED' // network, HTTP status, checksum or size mismatch
  | 'BAD_DATASET' // labels, data.yaml or annotation files are malformed
  | 'MISSING_TOOL' // an external program (Ultralytics, python) is not installed
  | 'EXTERNAL_FAILED' // an external program ran and failed
  | 'IO'; // writing outputs failed

export class AnimesegError extends Error {
  readonly code: ErrorCode;
  /** The file the problem is about, when there is one. */
  readonly file?: string;
  /** What the user can do about it. */
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, opts: { file?: string; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'AnimesegError';
    this.code = code;
    this.file = opts.file;
    this.hint = opts.hint;
  }

  /** "file: message (hint)" on one line, for logs and CLI output. */
  describe(): string {
    const where = this.file ? `${this.file}: ` : '';
    return `${where}${this.message}${this.hint ? `\n  hint: ${this.hint}` : ''}`;
  }
}

export function isAnimesegError(e: unknown): e is AnimesegError {
  return e instanceof AnimesegError;
}

/** A one-line description of any thrown value, without a stack trace. */
export function describeError(e: unknown): string {
  if (e instanceof AnimesegError) return e.describe();
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * The one wording of a bad parameter value everywhere (CLI flags, HTTP fields, library options), like sharp's
 * invalidParameterError(name, expected, actual): "NAME must be EXPECTED, got ACTUAL". A string is quoted as
 * given (so '' and ' 1' show), any other value written as it is.
 */
export function invalidParameterError(name: string, expected: string, actual: unknown, hint?: string): AnimesegError {
  const got = typeof actual === 'string' ? `'${actual}'` : typeof actual === 'object' && actual !== null ? JSON.stringify(actual) : String(actual);
  return new AnimesegError('BAD_OPTION', `${name} must be ${expected}, got ${got}`, hint ? { hint } : {});
}

/** Choices as a message says them: 'a', 'a or b', 'a, b or c'. */
export function oneOf(choices: readonly string[]): string {
  return choices.length <= 2 ? choices.join(' or ') : `${choices.slice(0, -1).join(', ')} or ${choices[choices.length - 1]}`;
}
