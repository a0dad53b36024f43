/**
 * The second half of Ultralytics' polygon2mask: cv2.resize of the filled 0/1 canvas to 1/4 with INTER_LINEAR.
 * At exactly 1/4 every bilinear weight is 1/4 of the 2x2 block at rows 4r+1, 4r+2 and columns 4c+1, 4c+2, and
 * OpenCV rounds 0.5 up, so a cell is set when at least 2 of those 4 pixels are. (The fill itself is
 * src/mask/polygon.ts fillPolygons, a port of cv2.fillPoly.)
 */
export function downsample4(src: Uint8Array, w: number, h: number): Uint8Array {
  const ow = Math.floor(w / 4);
  const oh = Math.floor(h / 4);
  const out = new Uint8Array(ow * oh);
  for (let r = 0; r < oh; r++) {
    const a = (4 * r + 1) * w;
    const b = a + w;
    for (let c = 0; c < ow; c++) {
      const x = 4 * c + 1;
      const s = src[a + x] + src[a + x + 1] + src[b + x] + src[b + x + 1];
      out[r * ow + c] = s >= 2 ? 1 : 0;
    }
  }
  return out;
}
