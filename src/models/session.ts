/**
 * The one place where onnxruntime-node sessions are created: execution provider choice ('cpu', or 'cuda'
 * only when asked, with a clear error when this build cannot use it), intra-op threads, and a shared
 * cache so two users of the same model file with the same settings share one session.
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AnimesegError } from '../errors.js';

export type Device = 'cpu' | 'cuda';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads (0 or undefined = onnxruntime's default: one per physical core). */
  threads?: number;
  /**
   * Let idle intra-op threads spin-wait (onnxruntime's default). Off by default here: the pipeline decodes
   * and encodes other images while the model runs, and spinning threads would steal those cores.
   */
  spin?: boolean;
}

interface Entry {
  promise: Promise<ort.InferenceSession>;
  refs: number;
}

const cache = new Map<string, Entry>();

/** A session plus a release function; the session is closed when its last user releases it. */
export interface SharedSession {
  session: ort.InferenceSession;
  release(): Promise<void>;
}

export function checkDevice(device: string): Device {
  if (device === 'cpu' || device === 'cuda') return device;
  throw new AnimesegError('BAD_OPTION', `unknown device '${device}'`, { hint: "use 'cpu' or 'cuda'" });
}

/**
 * Whether onnxruntime-node's CUDA provider library is installed next to its binding (Linux x64 only; the npm
 * install step that fetches it is skipped in this project's .npmrc). Checked up front so a missing library is
 * one clear message instead of onnxruntime's native error log.
 */
export function cudaProviderInstalled(): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const bin = join(root, 'bin');
    return readdirSync(bin).some((napi) => existsSync(join(bin, napi, 'linux', process.arch, 'libonnxruntime_providers_cuda.so')));
  } catch {
    return false;
  }
}

async function create(path: string, opts: SessionOptions): Promise<ort.InferenceSession> {
  const device = opts.device ?? 'cpu';
  const cudaHint = 'the installed onnxruntime-node needs its CUDA binaries and CUDA 12 + cuDNN 9 libraries; use --device cpu';
  if (device === 'cuda' && !cudaProviderInstalled()) {
    throw new AnimesegError('BAD_OPTION', 'cannot use the CUDA execution provider: onnxruntime-node was installed without its CUDA provider library', {
      file: path,
      hint: `${cudaHint} (install them with ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)`,
    });
  }
  const so: ort.InferenceSession.SessionOptions = {
    executionProviders: device === 'cuda' ? ['cuda'] : ['cpu'],
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: opts.spin ? '1' : '0' } } },
    // A missing CUDA library is reported below as one clear error; keep onnxruntime's own log quiet then.
    ...(device === 'cuda' ? { logSeverityLevel: 4 as const } : {}),
  };
  if (opts.threads !== undefined && opts.threads > 0) so.intraOpNumThreads = opts.threads;
  try {
    return await ort.InferenceSession.create(path, so);
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (device === 'cuda') {
      throw new AnimesegError('BAD_OPTION', `cannot use the CUDA execution provider: ${msg.split('\n')[0]}`, {
        file: path,
        hint: cudaHint,
        cause: e,
      });
    }
    throw new AnimesegError('BAD_MODEL', `onnxruntime cannot load the model: ${msg.split('\n')[0]}`, {
      file: path,
      hint: 'the file may be truncated or not an ONNX model; download it again',
      cause: e,
    });
  }
}

/** Get (or create) the shared session for a model file and settings. */
export async function acquireSession(path: string, opts: SessionOptions = {}): Promise<SharedSession> {
  const key = JSON.stringify([path, opts.device ?? 'cpu', opts.threads ?? 0, opts.spin ?? false]);
  let entry = cache.get(key);
  if (!entry) {
    entry = { promise: create(path, opts), refs: 0 };
    cache.set(key, entry);
    entry.promise.catch(() => cache.delete(key));
  }
  entry.refs++;
  const e = entry;
  let session: ort.InferenceSession;
  try {
    session = await e.promise;
  } catch (err) {
    e.refs--;
    throw err;
  }
  let released = false;
  return {
    session,
    async release() {
      if (released) return;
      released = true;
      e.refs--;
      if (e.refs === 0 && cache.get(key) === e) {
        cache.delete(key);
        await session.release();
      }
    },
  };
}

export { ort };
