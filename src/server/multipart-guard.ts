/**
 * A cap on the header block of each multipart part. busboy keeps up to 80 KB of a part's headers and
 * silently drops the rest, so an upload whose part headers are huge is neither refused nor bounded; this
 * watches the body as it streams in (alongside the parser) and reports the first part whose header block
 * (from its boundary line to the blank line) is longer than the cap.
 */

/** Largest part header block accepted: the same 16 KiB Node allows for a request's own headers. */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/** The boundary of a multipart/form-data Content-Type, or null (busboy reports a missing one itself). */
export function multipartBoundary(contentType: string | undefined): string | null {
  const m = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2] ?? null) : null;
}

/**
 * A function to feed each body chunk to; it calls `onTooLarge` once, as soon as a part's header block is
 * known to exceed `maxBytes`. Bytes are handled as latin1 so offsets are byte offsets.
 */
export function partHeaderGuard(boundary: string, maxBytes: number, onTooLarge: (bytes: number) => void): (chunk: Buffer) => void {
  const delimiter = `--${boundary}`;
  const blank = '\r\n\r\n';
  // Text kept from earlier chunks (only what a match may still need), and its offset in the body.
  let kept = '';
  let keptAt = 0;
  /** Where the current part's header block started (body offset), or -1 between header blocks. */
  let headerAt = -1;
  /** Matches are looked for from this body offset on (earlier ones were handled). */
  let from = 0;
  let done = false;
  return (chunk: Buffer) => {
    if (done) return;
    const text = kept + chunk.toString('latin1');
    const end = keptAt + text.length;
    for (;;) {
      if (headerAt < 0) {
        const i = text.indexOf(delimiter, from - keptAt);
        if (i < 0) break;
        const after = keptAt + i + delimiter.length;
        if (after + 2 > end) break; // need the two bytes after it: "--" ends the body
        if (text.startsWith('--', after - keptAt)) {
          done = true;
          return;
        }
        headerAt = after;
        from = after;
      } else {
        const j = text.indexOf(blank, from - keptAt);
        const length = (j < 0 ? end : keptAt + j) - headerAt;
        if (length > maxBytes) {
          done = true;
          onTooLarge(length);
          return;
        }
        if (j < 0) break;
        headerAt = -1;
        from = keptAt + j + blank.length;
      }
    }
    // Keep enough text for a delimiter or blank line split across chunks, never the whole body.
    const keep = Math.max(delimiter.length, blank.length) + 2;
    const cut = Math.max(0, Math.min(text.length - keep, from - keptAt));
    kept = text.slice(cut);
    keptAt += cut;
    from = Math.max(from, end - keep);
  };
}
