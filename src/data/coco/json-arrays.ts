/**
 * Stream the elements of chosen top-level arrays of a huge JSON object (COCO's `images`, `annotations`)
 * with bounded memory: one element in memory at a time.
 *
 * Hand-written instead of stream-json: stream-json tokenises every number in JavaScript, which for COCO's
 * 448 MB of mostly polygon coordinates is several times slower than finding each element's byte range here
 * (a tight byte loop tracking strings and bracket depth) and handing it to the native JSON.parse.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AnimesegError } from '../../errors.js';

export interface ArrayScanHandlers {
  /** Called for every element of a wanted top-level array, in file order. */
  element(key: string, value: unknown, byteOffset: number): void;
  /** Called when a wanted top-level array closes. */
  arrayEnd?(key: string): void;
  /** Called after each chunk with the bytes read so far. */
  progress?(bytesRead: number, totalBytes: number): void;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function corrupt(file: string, message: string, offset: number): AnimesegError {
  return new AnimesegError('BAD_DATASET', `corrupt annotation file: ${message} (at byte ${offset})`, {
    file,
    hint: 'the file is truncated or not JSON; download it again (check its size/checksum)',
  });
}

/** Stream `file`, calling `handlers` for the elements of the `wanted` top-level arrays; returns every top-level key holding an array. */
export async function scanTopLevelArrays(file: string, wanted: ReadonlySet<string>, handlers: ArrayScanHandlers): Promise<Set<string>> {
  let total: number;
  try {
    total = (await stat(file)).size;
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', 'annotation file does not exist', { file, cause: e });
  }
  if (total === 0) throw corrupt(file, 'empty file', 0);
  const scanner = new ArrayScanner(file, wanted, handlers);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    scanner.scan(chunk);
    handlers.progress?.(scanner.base, total);
  }
  return scanner.end();
}

/** A byte range being captured (a root key, an element) that may span chunks. */
class Capture {
  private pieces: Buffer[] = [];
  private start: number;
  constructor(start: number) {
    this.start = start;
  }
  /** A new chunk begins: the range goes on from its first byte. */
  resume(): void {
    if (this.start < 0) this.start = 0;
  }
  /** The chunk ends inside the range: keep its part. */
  carry(chunk: Buffer): void {
    this.pieces.push(chunk.subarray(this.start));
    this.start = -1;
  }
  /** The range ends at byte `end` (inclusive) of this chunk: its text. */
  text(chunk: Buffer, end: number): string {
    this.pieces.push(chunk.subarray(this.start, end + 1));
    return this.pieces.length === 1 ? this.pieces[0].toString('utf8') : Buffer.concat(this.pieces).toString('utf8');
  }
}

/**
 * The scan's state across chunks. The byte loop (scan) tracks only strings and bracket depth; the rarer
 * events (a root key ends, a bracket opens or closes, a byte outside the root object) have their own steps.
 */
class ArrayScanner {
  /** File offset of the current chunk (after scan: of the next). */
  base = 0;
  private depth = 0;
  private inString = false;
  private escape = false;
  private sawRoot = false;
  private rootClosed = false;
  /** The root-level string being read (a key) and the last one read. */
  private key: Capture | null = null;
  private lastRootString = '';
  /** The wanted top-level array we are inside, if any. */
  private arrayKey: string | null = null;
  private readonly seenKeys = new Set<string>();
  /** The element being captured (depth 2 inside a wanted array) and its file offset. */
  private elem: Capture | null = null;
  private elemOffset = 0;

  constructor(
    private readonly file: string,
    private readonly wanted: ReadonlySet<string>,
    private readonly handlers: ArrayScanHandlers,
  ) {}

  scan(chunk: Buffer): void {
    const n = chunk.length;
    this.key?.resume();
    this.elem?.resume();
    // The hot state in locals for the byte loop; written back before every step that reads it.
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    for (let i = 0; i < n; i++) {
      const c = chunk[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) {
          inString = false;
          if (this.key) this.endKey(chunk, i);
        }
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1) this.key = new Capture(i);
      } else if (c === LBRACE || c === LBRACKET) {
        this.open(c, depth, i);
        depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        depth--;
        this.close(c, depth, chunk, i);
      } else if (depth === 0) this.outsideRoot(c, i);
    }
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    this.key?.carry(chunk);
    this.elem?.carry(chunk);
    this.base += n;
  }

  /** The end of the input: the keys seen, or BAD_DATASET for a file with no object or a truncated one. */
  end(): Set<string> {
    if (!this.sawRoot) throw corrupt(this.file, 'no JSON object found', this.base);
    if (this.depth !== 0 || this.inString) throw corrupt(this.file, 'file ends inside the JSON (truncated?)', this.base);
    return this.seenKeys;
  }

  private endKey(chunk: Buffer, i: number): void {
    try {
      this.lastRootString = JSON.parse(this.key!.text(chunk, i)) as string;
    } catch {
      throw corrupt(this.file, 'bad string', this.base + i);
    }
    this.key = null;
  }

  /** `{` or `[` at `depth` (before it): the root object, a top-level array, or an element of a wanted one. */
  private open(c: number, depth: number, i: number): void {
    if (depth === 0) {
      if (this.sawRoot) throw corrupt(this.file, 'more than one top-level value', this.base + i);
      if (c !== LBRACE) throw corrupt(this.file, 'top level is not an object', this.base + i);
      this.sawRoot = true;
    } else if (depth === 1 && c === LBRACKET) {
      this.seenKeys.add(this.lastRootString);
      this.arrayKey = this.wanted.has(this.lastRootString) ? this.lastRootString : null;
    } else if (depth === 2 && this.arrayKey !== null) {
      this.elem = new Capture(i);
      this.elemOffset = this.base + i;
    }
  }

  /** `}` or `]` leaving `depth`: an element ends (parsed and handed over), a wanted array ends, or the root. */
  private close(c: number, depth: number, chunk: Buffer, i: number): void {
    if (depth < 0) throw corrupt(this.file, 'unbalanced brackets', this.base + i);
    if (depth === 2 && this.elem) {
      const text = this.elem.text(chunk, i);
      this.elem = null;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw corrupt(this.file, `bad element in '${this.arrayKey}': ${(e as Error).message}`, this.elemOffset);
      }
      this.handlers.element(this.arrayKey!, value, this.elemOffset);
    } else if (depth === 1 && this.arrayKey !== null && c === RBRACKET) {
      this.handlers.arrayEnd?.(this.arrayKey);
      this.arrayKey = null;
    } else if (depth === 0) {
      this.rootClosed = true;
    }
  }

  /** A byte outside the root object: white space and a UTF-8 byte-order mark at the start pass, anything else is corrupt. */
  private outsideRoot(c: number, i: number): void {
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || (this.base + i === 0 && c === 0xef)) return;
    if (c === 0xbb || c === 0xbf) return; // rest of a UTF-8 byte-order mark
    throw corrupt(this.file, this.rootClosed ? 'data after the end of the JSON object' : 'not a JSON object', this.base + i);
  }
}
