/**
 * Text the service shows to HTTP clients without the server's file-system layout: library errors, refiner
 * reasons and job failures name files by absolute path (model folders, the shared upload folder), which
 * is for the operator's log, not for whoever sends a request. Each absolute path becomes `…/NAME` (its last
 * part), which still says which file or folder was meant.
 *
 * An absolute POSIX path is told from a URL path (`/v1/jobs/ID`, which hints must keep) by its first part:
 * only the names of this machine's top-level folders count (/home, /tmp, /work, /var, ...).
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';

let roots: RegExp | undefined;

function rootPattern(): RegExp {
  if (roots) return roots;
  let names: string[] = [];
  try {
    names = readdirSync('/');
  } catch {
    // No readable root (Windows, a sandbox): only drive-letter paths are recognised.
  }
  const escaped = names.filter((n) => /^[\w.-]+$/.test(n)).map((n) => n.replace(/[.]/g, '\\.'));
  const posix = escaped.length ? `(?<![\\w.~/:-])/(?:${escaped.join('|')})(?:/[^\\s'",;:)\\]]*)?(?![\\w.-])` : '(?!)';
  // C:\dir\file or C:/dir/file
  const windows = `(?<![\\w])[A-Za-z]:[\\\\/][^\\s'",;)\\]]*`;
  roots = new RegExp(`${posix}|${windows}`, 'g');
  return roots;
}

/** `text` with every absolute server path replaced by `…/` and its last part. */
export function hideServerPaths(text: string): string {
  return text.replace(rootPattern(), (p) => {
    const parts = p.split(/[\\/]+/).filter((x) => x !== '');
    const last = parts[parts.length - 1];
    return last && !/^[A-Za-z]:$/.test(last) ? `…/${last}` : '…';
  });
}
