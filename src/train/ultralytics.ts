/**
 * Find and run Ultralytics. animeseg never installs or downloads it: it looks, in this order, for
 *   1. a Python named by `--python` or $ANIMESEG_PYTHON (Ultralytics imported from that Python),
 *   2. the `yolo` command on PATH,
 *   3. `python3` on PATH with the ultralytics package,
 * checks the version, and runs the Ultralytics CLI in its own process group so that Ctrl-C reaches it exactly
 * once (Ultralytics saves last.pt on KeyboardInterrupt; a second signal could cut that save short).
 *
 * Ultralytics has no `__main__` module, so "python -m ultralytics" does not exist; from a Python we call the
 * same entry point the `yolo` script calls: `ultralytics.cfg.entrypoint()`, which reads sys.argv[1:].
 */
import { spawn } from 'node:child_process';
import { isOffline } from '../models/resolver/offline.js';
import { createWriteStream, type WriteStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { AnimesegError } from '../errors.js';

/** YOLOv8-seg training, `resume=True` and results.csv with the (M) mask columns exist since 8.0.0. */
export const MIN_ULTRALYTICS = '8.0.0';

/**
 * Torch's CPU threads for training. Ultralytics' select_device() calls torch.set_num_threads(NUM_THREADS), and
 * NUM_THREADS is cpu_count - 1: one thread on a 2-core machine, where both cores train 1.65x faster (4.2 vs
 * 7.0 s per batch of 16 at 416 px, measured in issue 20). We set every core, or $ANIMESEG_TRAIN_THREADS.
 * Only reachable when we start the Python ourselves; the `yolo` script keeps Ultralytics' own choice.
 */
export const PY_TRAIN_THREADS =
  'import os, sys; import ultralytics.utils.torch_utils as _tu; _n = os.environ.get("ANIMESEG_TRAIN_THREADS", ""); ' +
  '(_n.isdigit() and int(_n) > 0) or not _n or sys.exit("animeseg: ANIMESEG_TRAIN_THREADS must be a whole number above 0, got " + repr(_n)); ' +
  '_tu.NUM_THREADS = int(_n) if _n else (os.cpu_count() or 1)';
const PY_ENTRYPOINT = `${PY_TRAIN_THREADS}; from ultralytics.cfg import entrypoint; sys.argv[0] = "yolo"; entrypoint()`;
const PY_VERSION = 'import ultralytics; print(ultralytics.__version__)';

export const INSTALL_HINT =
  "install it into a Python 3.8+ environment with 'pip install ultralytics' (see https://docs.ultralytics.com/quickstart/), " +
  "then make `yolo` reachable on PATH or pass --python /path/to/python (or set ANIMESEG_PYTHON)";

export interface UltralyticsCommand {
  /** Program to run. */
  command: string;
  /** Arguments that come before the Ultralytics CLI arguments (the `-c` program for a Python). */
  prefix: string[];
  version: string;
  /** How it was found, for messages and the model card. */
  via: 'python-option' | 'ANIMESEG_PYTHON' | 'yolo-on-path' | 'python3-on-path';
}

export interface FindOptions {
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Override the minimum version (tests). */
  minVersion?: string;
}

/** Find an executable on PATH (like `which`), without running a shell. */
export async function which(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (name.includes('/') || isAbsolute(name)) return (await isExecutable(name)) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    if (await isExecutable(p)) return p;
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Run a short command and collect its output (for version probes). */
export function capture(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child;
    try {
      child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    } catch (error) {
      resolve({ code: null, stdout, stderr, error: error as Error });
      return;
    }
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => resolve({ code: null, stdout, stderr, error }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Compare dotted versions numerically ('8.3.40' > '8.3.9'); non-numeric suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The last line of output that looks like a version (Ultralytics may print warnings before it). */
function parseVersion(out: string): string | undefined {
  const lines = out.trim().split(/\r?\n/).reverse();
  for (const l of lines) {
    const m = /^\s*v?(\d+\.\d+(?:\.\d+)?(?:[.\w+-]*)?)\s*$/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

async function probe(
  command: string,
  prefix: string[],
  versionArgs: string[],
  via: UltralyticsCommand['via'],
  env: NodeJS.ProcessEnv,
): Promise<UltralyticsCommand | { failed: string }> {
  const r = await capture(command, versionArgs, env);
  if (r.error) return { failed: `${command}: ${r.error.message}` };
  // Ultralytics logs through `logging`; depending on version and settings that is stdout or stderr.
  const version = r.code === 0 ? (parseVersion(r.stdout) ?? parseVersion(r.stderr)) : undefined;
  if (!version) {
    const why = (r.stderr.trim().split('\n').pop() ?? '').trim() || `exit code ${r.code}`;
    return { failed: `${command} ${versionArgs.join(' ').slice(0, 60)}: ${why}` };
  }
  return { command, prefix, version, via };
}

/**
 * Locate Ultralytics. Throws MISSING_TOOL saying what was tried and exactly what to install, or when the
 * version is older than MIN_ULTRALYTICS.
 */
export async function findUltralytics(opts: FindOptions = {}): Promise<UltralyticsCommand> {
  const env = opts.env ?? process.env;
  const tried: string[] = [];
  const candidates: (() => Promise<UltralyticsCommand | { failed: string } | undefined>)[] = [];
  const explicitPython = opts.python ?? env.ANIMESEG_PYTHON;
  if (explicitPython) {
    const via = opts.python ? 'python-option' : 'ANIMESEG_PYTHON';
    candidates.push(async () => {
      const py = (await which(explicitPython, env)) ?? explicitPython;
      return probe(py, ['-c', PY_ENTRYPOINT], ['-c', PY_VERSION], via, env);
    });
  } else {
    candidates.push(async () => {
      const yolo = await which('yolo', env);
      if (!yolo) {
        tried.push('yolo: not on PATH');
        return undefined;
      }
      return probe(yolo, [], ['version'], 'yolo-on-path', env);
    });
    candidates.push(async () => {
      const py = await which('python3', env);
      if (!py) {
        tried.push('python3: not on PATH');
        return undefined;
      }
      return probe(py, ['-c', PY_ENTRYPOINT], ['-c', PY_VERSION], 'python3-on-path', env);
    });
  }
  for (const c of candidates) {
    const r = await c();
    if (!r) continue;
    if ('failed' in r) {
      tried.push(r.failed);
      continue;
    }
    const min = opts.minVersion ?? MIN_ULTRALYTICS;
    if (compareVersions(r.version, min) < 0) {
      throw new AnimesegError('MISSING_TOOL', `Ultralytics ${r.version} (${r.command}) is older than the required ${min}`, {
        hint: "upgrade it with 'pip install -U ultralytics'",
      });
    }
    return r;
  }
  throw new AnimesegError('MISSING_TOOL', `Ultralytics was not found (tried: ${tried.join('; ')})`, { hint: INSTALL_HINT });
}

/**
 * The child's environment. With ANIMESEG_OFFLINE set, Ultralytics is told too (YOLO_OFFLINE=true: its
 * online checks and hub calls; HF_HUB_OFFLINE=1 for Hugging Face downloads). Ultralytics still tries to
 * fetch a base .pt that is missing; that is its own download, outside animeseg's resolver.
 */
export function ultralyticsEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return isOffline(env) ? { ...env, YOLO_OFFLINE: 'true', HF_HUB_OFFLINE: '1' } : env;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Every line of the child's stdout+stderr goes here (a log file), and to `onLine`. */
  logFile?: string;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Aborting sends SIGINT to the child's process group (what Ctrl-C on a terminal does). */
  signal?: AbortSignal;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when we forwarded an interrupt. */
  interrupted: boolean;
  /** The last lines of output, for error messages. */
  tail: string[];
}

/** Run `yolo ARGS` (or the Python equivalent). Resolves when the process exits; never rejects on exit codes. */
export function runUltralytics(u: UltralyticsCommand, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    let log: WriteStream | undefined;
    if (opts.logFile) log = createWriteStream(opts.logFile, { flags: 'a' });
    // detached: its own process group, so a terminal Ctrl-C reaches us only and we forward it once.
    const child = spawn(u.command, [...u.prefix, ...args], {
      cwd: opts.cwd,
      env: ultralyticsEnv(opts.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGINT');
      } catch {
        /* already gone */
      }
    };
    opts.signal?.addEventListener('abort', interrupt);
    if (opts.signal?.aborted) interrupt();
    // If animeseg itself exits (crash, SIGTERM), do not leave a GPU training orphaned.
    const killOnExit = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    process.on('exit', killOnExit);

    const lineSplitter = (stream: 'stdout' | 'stderr') => {
      let buf = '';
      return (chunk: Buffer) => {
        log?.write(chunk);
        // Ultralytics redraws progress bars with \r; treat both \r and \n as line ends.
        buf += chunk.toString('utf8');
        const parts = buf.split(/\r\n|\r|\n/);
        buf = parts.pop() ?? '';
        for (const line of parts) {
          if (!line.trim()) continue;
          tail.push(line);
          if (tail.length > 40) tail.shift();
          opts.onLine?.(line, stream);
        }
      };
    };
    child.stdout.on('data', lineSplitter('stdout'));
    child.stderr.on('data', lineSplitter('stderr'));
    child.on('error', (e) => {
      process.off('exit', killOnExit);
      log?.end();
      reject(new AnimesegError('MISSING_TOOL', `cannot start ${u.command}: ${e.message}`, { hint: INSTALL_HINT }));
    });
    child.on('close', (code, signal) => {
      process.off('exit', killOnExit);
      opts.signal?.removeEventListener('abort', interrupt);
      const done = () => resolve({ code, signal, interrupted, tail });
      if (log) log.end(done);
      else done();
    });
  });
}

/**
 * How a command line is shown to users and written to the model card (shell-quoted where needed). A run
 * through a Python shows as the equivalent `yolo` command plus that Python, not as our one-line `-c`
 * program (the entry point with the thread setting above), which would drown the arguments that matter.
 */
export function displayCommand(u: UltralyticsCommand, args: string[]): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  if (u.prefix[0] === '-c' && u.prefix[1] === PY_ENTRYPOINT) return `${['yolo', ...args].map(q).join(' ')}  (Ultralytics' entry point run by ${q(u.command)})`;
  return [u.command, ...u.prefix, ...args].map(q).join(' ');
}
