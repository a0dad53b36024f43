/**
 * Where to start a worker thread whose entry is a module next to the caller. From the sources (tsx) the
 * worker starts in worker-boot.mjs, which registers tsx and then imports the .ts entry; from dist/ the
 * compiled .js entry starts directly. Pass `entry` in workerData alongside your own fields.
 */
export interface WorkerSpec {
  url: URL;
  entry?: string;
}

/** `callerUrl`: the caller's import.meta.url; `name`: the entry's base name without extension, e.g. './worker'. */
export function workerSpec(callerUrl: string, name: string): WorkerSpec {
  if (callerUrl.endsWith('.ts')) {
    return { url: new URL('./worker-boot.mjs', import.meta.url), entry: new URL(`${name}.ts`, callerUrl).href };
  }
  return { url: new URL(`${name}.js`, callerUrl) };
}
