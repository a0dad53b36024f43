// Pure helpers of the web page (no DOM): kept apart from app.js so Node tests can check them directly
// (test/web/lib.test.ts). Plain ES module, no build step.

/** File name of one character's download: `NAME.instNN.png`, NN = the 0-based JSON id, as `animeseg segment` writes. */
export function instanceFileName(stem, id, suffix = 'png') {
  return `${stem}.inst${String(id).padStart(2, '0')}.${suffix}`;
}

function boxIoU(a, b) {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Which characters of a new result are switched on, carrying the user's choices over from the previous
 * result (another refinement or confidence reorders and adds/drops instances, so indices mean nothing):
 * pairs of the same class are matched greedily by box IoU (highest first, at least `minIoU`); a matched
 * character keeps its state, a new one starts on. Returns the enabled indices of `next`.
 */
export function carryToggles(prev, prevEnabled, next, minIoU = 0.5) {
  const enabled = new Set(next.map((_, i) => i));
  if (!prev) return enabled;
  const pairs = [];
  next.forEach((n, i) => prev.forEach((p, j) => {
    if (n.classId !== p.classId) return;
    const iou = boxIoU(n.box, p.box);
    if (iou >= minIoU) pairs.push([iou, i, j]);
  }));
  pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const usedNext = new Set();
  const usedPrev = new Set();
  for (const [, i, j] of pairs) {
    if (usedNext.has(i) || usedPrev.has(j)) continue;
    usedNext.add(i);
    usedPrev.add(j);
    if (!prevEnabled.has(j)) enabled.delete(i);
  }
  return enabled;
}

/**
 * Centres for round badges of radius r, one per box, that never overlap each other: each badge tries its
 * box's top-left corner, then steps along the box's top edge and down its left edge (then further out), and
 * takes the first spot at least 2r + gap from every badge placed before it; spots are kept inside the
 * w x h image. Boxes are placed in order, so badge k's position depends only on boxes 0..k.
 */
export function placeBadges(boxes, r, w, h, gap = 2) {
  const placed = [];
  const d = 2 * r + gap;
  const clampX = (x) => Math.min(Math.max(x, r), Math.max(r, w - r));
  const clampY = (y) => Math.min(Math.max(y, r), Math.max(r, h - r));
  const free = (x, y) => placed.every(([px, py]) => (px - x) ** 2 + (py - y) ** 2 >= d * d - 1e-9);
  for (const [x1, y1] of boxes) {
    const cx = clampX(x1 + r);
    const cy = clampY(y1 + r);
    let spot = null;
    // Rings of candidates around the corner: ring k holds the spots k steps right along the top edge and
    // k steps down the left edge, then the diagonal; enough rings to always find room.
    const rings = boxes.length + 2;
    for (let k = 0; k <= rings && !spot; k++) {
      const cands = k === 0 ? [[cx, cy]] : [[cx + k * d, cy], [cx, cy + k * d], [cx - k * d, cy], [cx, cy - k * d], [cx + k * d, cy + k * d]];
      for (const [x, y] of cands) {
        const px = clampX(x);
        const py = clampY(y);
        if (free(px, py)) {
          spot = [px, py];
          break;
        }
      }
    }
    // Image too small for every badge: fall back to the corner (overlap is then unavoidable).
    placed.push(spot ?? [cx, cy]);
  }
  return placed;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * An 8-bit single-channel (grayscale) PNG of `gray` (w*h bytes): the mask format the CLI and the API write.
 * A canvas can only export RGBA PNGs, so the page encodes this one itself (zlib via CompressionStream).
 */
export async function encodeGrayPng(gray, w, h) {
  const raw = new Uint8Array((w + 1) * h); // filter byte 0 (None) before each row
  for (let y = 0; y < h; y++) raw.set(gray.subarray(y * w, (y + 1) * w), y * (w + 1) + 1);
  const zlib = new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer());
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type 0: grayscale
  const parts = [new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
