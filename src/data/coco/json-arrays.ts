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

export async function scanTopLevelArrays(file: string, wanted: ReadonlySet<string>, handlers: ArrayScanHandlers): Promise<Set<string>> {
  let total: number;
  try {
    total = (await stat(file)).size;
  } catch (e) {
    throw new AnimesegError('BAD_INPUT', 'annotation file does not exist', { file, cause: e });
  }
  if (total === 0) throw corrupt(file, 'empty file', 0);

  let depth = 0;
  let inString = false;
  let escape = false;
  let sawRoot = false;
  let rootClosed = false;
  // Root-level string capture (keys) and the key of the array we are inside.
  let keyPieces: Buffer[] | null = null;
  let keyStart = -1;
  let lastRootString = '';
  let arrayKey: string | null = null; // set while inside a wanted top-level array
  const seenKeys = new Set<string>();
  // Element capture (depth 2 inside a wanted array).
  let elemPieces: Buffer[] | null = null;
  let elemStart = -1;
  let elemOffset = 0;
  let base = 0; // file offset of the current chunk

  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const n = chunk.length;
    if (keyPieces && keyStart < 0) keyStart = 0;
    if (elemPieces && elemStart < 0) elemStart = 0;
    for (let i = 0; i < n; i++) {
      const c = chunk[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === BACKSLASH) escape = true;
        else if (c === QUOTE) {
          inString = false;
          if (keyPieces) {
            keyPieces.push(chunk.subarray(keyStart, i + 1));
            try {
              lastRootString = JSON.parse(Buffer.concat(keyPieces).toString('utf8')) as string;
            } catch {
              throw corrupt(file, 'bad string', base + i);
            }
            keyPieces = null;
            keyStart = -1;
          }
        }
        continue;
      }
      if (c === QUOTE) {
        inString = true;
        if (depth === 1) {
          keyPieces = [];
          keyStart = i;
        }
      } else if (c === LBRACE || c === LBRACKET) {
        if (depth === 0) {
          if (sawRoot) throw corrupt(file, 'more than one top-level value', base + i);
          if (c !== LBRACE) throw corrupt(file, 'top level is not an object', base + i);
          sawRoot = true;
        } else if (depth === 1 && c === LBRACKET) {
          seenKeys.add(lastRootString);
          arrayKey = wanted.has(lastRootString) ? lastRootString : null;
        } else if (depth === 2 && arrayKey !== null) {
          elemPieces = [];
          elemStart = i;
          elemOffset = base + i;
        }
        depth++;
      } else if (c === RBRACE || c === RBRACKET) {
        depth--;
        if (depth < 0) throw corrupt(file, 'unbalanced brackets', base + i);
        if (depth === 2 && elemPieces) {
          elemPieces.push(chunk.subarray(elemStart, i + 1));
          const text = elemPieces.length === 1 ? elemPieces[0].toString('utf8') : Buffer.concat(elemPieces).toString('utf8');
          elemPieces = null;
          elemStart = -1;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (e) {
            throw corrupt(file, `bad element in '${arrayKey}': ${(e as Error).message}`, elemOffset);
          }
          handlers.element(arrayKey!, value, elemOffset);
        } else if (depth === 1 && arrayKey !== null && c === RBRACKET) {
          handlers.arrayEnd?.(arrayKey);
          arrayKey = null;
        } else if (depth === 0) {
          rootClosed = true;
        }
      } else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && !(base + i === 0 && c === 0xef)) {
        if (c === 0xbb || c === 0xbf) continue; // rest of a UTF-8 byte-order mark
        throw corrupt(file, rootClosed ? 'data after the end of the JSON object' : 'not a JSON object', base + i);
      }
    }
    if (keyPieces) {
      keyPieces.push(chunk.subarray(keyStart));
      keyStart = -1;
    }
    if (elemPieces) {
      elemPieces.push(chunk.subarray(elemStart));
      elemStart = -1;
    }
    base += n;
    handlers.progress?.(base, total);
  }
  if (!sawRoot) throw corrupt(file, 'no JSON object found', base);
  if (depth !== 0 || inString) throw corrupt(file, 'file ends inside the JSON (truncated?)', base);
  return seenKeys;
}
