/**
 * Offline mode: `ANIMESEG_OFFLINE=1` means no network call at all. It is checked where a download would
 * start (resolver and downloader), so no caller can switch it back on by passing `download: true`.
 */
import { AnimesegError } from '../../errors.js';

export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.ANIMESEG_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * The error for a model that is missing while downloads are off: names the file expected, every folder
 * searched (in order), and what to do.
 */
export function notHereError(
  entry: { name: string; file: string; url?: string },
  searched: { modelsDirs: string[]; cacheDir: string },
  why: 'offline' | 'no-download',
): AnimesegError {
  const folders = [
    searched.modelsDirs.length ? searched.modelsDirs.map((d) => `${d} ($ANIMESEG_MODELS)`).join(', ') : 'a folder you name in $ANIMESEG_MODELS (not set now)',
    `${searched.cacheDir} (cache)`,
  ].join(', ');
  const reason = why === 'offline' ? 'ANIMESEG_OFFLINE is set, so nothing is downloaded' : 'downloads are off';
  const from = entry.url ? ` (download it from ${entry.url} on a machine with network access)` : '';
  const pull = why === 'offline' ? `unset ANIMESEG_OFFLINE and run 'animeseg models pull ${entry.name}'` : `run 'animeseg models pull ${entry.name}' with network access`;
  return new AnimesegError('MODEL_NOT_FOUND', `model '${entry.name}' (file ${entry.file}) is not on this machine and ${reason}; searched: ${folders}`, {
    hint: `put ${entry.file}${from} in one of: ${folders}; or ${pull}`,
  });
}
