// Decoding: every supported container gives the same pixels (lossless ones exactly; expected pixels are the
// ones the test itself wrote), EXIF orientation is applied, and each kind of bad file is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type Sharp } from 'sharp';
import { decodeImage, decodeImageFile } from '../../src/image/decode.js';
import { AnimesegError } from '../../src/errors.js';
import { toRgb } from '../../src/image/pixels.js';

const W = 6;
const H = 4;
/** A small RGB pattern: pixel (x, y) = (40x, 60y, 255 - 30x). */
const pattern = (): Uint8Array => {
  const d = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d.set([40 * x, 60 * y, 255 - 30 * x], (y * W + x) * 3);
  return d;
};
const enc = (s: Sharp): Promise<Uint8Array> => s.toBuffer().then((b: Buffer) => new Uint8Array(b));
const raw = () => sharp(Buffer.from(pattern()), { raw: { width: W, height: H, channels: 3 } });

const isErr = (code: string, re: RegExp) => (e: unknown) =>
  e instanceof AnimesegError && e.code === code && re.test(e.message) && e.file === 'x.img' ? true : assert.fail(`wrong error: ${String(e)}`);

test('lossless formats decode to the exact pixels (png, webp lossless, tiff, gif first frame)', async () => {
  const expected = pattern();
  for (const [name, bytes] of [
    ['png', await enc(raw().png())],
    ['webp', await enc(raw().webp({ lossless: true }))],
    ['tiff', await enc(raw().tiff({ compression: 'lzw' }))],
    // 16 bits per channel (each 8-bit value v stored as v * 257) comes back as the same 8-bit values.
    ['png16', await enc(raw().toColourspace('rgb16').png())],
  ] as const) {
    const d = await decodeImage(bytes);
    assert.equal(d.image.channels, 3, name);
    assert.deepEqual([d.image.width, d.image.height], [W, H], name);
    assert.deepEqual(d.image.data, expected, name);
  }
  // GIF is palette-based; 3 colours survive exactly.
  const g = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) g.set(i % 3 === 0 ? [255, 0, 0] : i % 3 === 1 ? [0, 255, 0] : [0, 0, 255], i * 3);
  const gif = await enc(sharp(Buffer.from(g), { raw: { width: W, height: H, channels: 3 } }).gif({ dither: 0, colours: 4, effort: 1 }));
  const dg = await decodeImage(gif);
  assert.deepEqual([dg.image.width, dg.image.height], [W, H]);
  // libvips reads GIFs as RGBA (GIF can have a transparent index); compare the colour channels.
  assert.deepEqual(toRgb(dg.image).data.subarray(0, 9), Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]));
});

test('jpeg and avif decode (lossy: within a tolerance) and RGBA keeps its alpha', async () => {
  const expected = pattern();
  for (const [name, bytes, tol] of [
    ['jpeg', await enc(raw().jpeg({ quality: 100, chromaSubsampling: '4:4:4' })), 12],
    ['avif', await enc(raw().avif({ lossless: true })), 12],
  ] as const) {
    const d = await decodeImage(bytes);
    assert.deepEqual([d.image.width, d.image.height, d.image.channels], [W, H, 3], name);
    let max = 0;
    for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(d.image.data[i] - expected[i]));
    assert.ok(max <= tol, `${name}: max difference ${max}`);
  }
  const rgba = new Uint8Array(W * H * 4).fill(100);
  rgba[3] = 0;
  const d = await decodeImage(await enc(sharp(Buffer.from(rgba), { raw: { width: W, height: H, channels: 4 } }).png()));
  assert.equal(d.image.channels, 4);
  assert.equal(d.hasAlpha, true);
  assert.equal(d.image.data[3], 0);
  assert.equal(d.image.data[7], 100);
});

test('EXIF orientation is applied (like OpenCV imread)', async () => {
  // Orientation 6 = rotate 90 degrees clockwise to display: a 6x4 stored image shows as 4x6.
  const bytes = await enc(raw().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }));
  const d = await decodeImage(bytes);
  assert.deepEqual([d.image.width, d.image.height], [H, W]);
});

test('gray images become RGB', async () => {
  const d = await decodeImage(await enc(sharp(Buffer.from([0, 50, 100, 150]), { raw: { width: 2, height: 2, channels: 1 } }).png()));
  assert.equal(d.image.channels, 3);
  assert.deepEqual([...d.image.data.subarray(0, 6)], [0, 0, 0, 50, 50, 50]);
});

test('BMP: 24-bit, 8-bit palette and 32-bit bitfields with alpha (hand-built files)', async () => {
  // 24-bit BI_RGB, 2x2, bottom-up rows padded to 4 bytes: stored bottom row first, BGR order.
  const bmp24 = buildBmp(2, 2, 24, 0, [
    [0, 0, 255, 0, 255, 0, 0, 0], // bottom row: red, green (+2 pad bytes)
    [255, 0, 0, 255, 255, 255, 0, 0], // top row: blue, white
  ]);
  const a = await decodeImage(bmp24);
  assert.deepEqual([...a.image.data], [0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0]);
  // 8-bit palette: index 1 = (R 10, G 20, B 30), index 0 = black.
  const bmp8 = buildBmp(2, 1, 8, 0, [[1, 0, 0, 0]], [[0, 0, 0, 0], [30, 20, 10, 0]]);
  assert.deepEqual([...(await decodeImage(bmp8)).image.data], [10, 20, 30, 0, 0, 0]);
  // 32-bit BI_BITFIELDS with an alpha mask (V4-sized header): pixel 0x80112233 = A 128, R 0x11, G 0x22, B 0x33.
  const bmp32 = buildBmp(1, 1, 32, 3, [[0x33, 0x22, 0x11, 0x80]], undefined, [0xff0000, 0xff00, 0xff, 0xff000000]);
  const c = await decodeImage(bmp32);
  assert.equal(c.image.channels, 4);
  assert.deepEqual([...c.image.data], [0x11, 0x22, 0x33, 0x80]);
});

test('bad files: empty, not an image, truncated, too many pixels', async () => {
  await assert.rejects(decodeImage(new Uint8Array(0), { file: 'x.img' }), isErr('BAD_INPUT', /empty/));
  await assert.rejects(decodeImage(new TextEncoder().encode('hello, I am text'), { file: 'x.img' }), isErr('BAD_INPUT', /not a readable image/));
  const noisy = new Uint8Array(300 * 200 * 3);
  for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 7919) % 251;
  const jpeg = await enc(sharp(Buffer.from(noisy), { raw: { width: 300, height: 200, channels: 3 } }).jpeg());
  const png = await enc(sharp(Buffer.from(noisy), { raw: { width: 300, height: 200, channels: 3 } }).png());
  await assert.rejects(decodeImage(jpeg.subarray(0, jpeg.length >> 1), { file: 'x.img' }), isErr('BAD_INPUT', /cannot decode|not a readable/));
  await assert.rejects(decodeImage(png.subarray(0, png.length >> 1), { file: 'x.img' }), isErr('BAD_INPUT', /cannot decode|not a readable/));
  // The limit is checked from the header: 300 x 200 = 60000 pixels > 50000.
  await assert.rejects(decodeImage(jpeg, { file: 'x.img', maxPixels: 50000 }), isErr('TOO_LARGE', /60000 pixels/));
  await assert.rejects(decodeImage(buildBmp(2, 2, 24, 0, [[0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]]), { file: 'x.img', maxPixels: 3 }), isErr('TOO_LARGE', /4 pixels/));
  await assert.rejects(decodeImageFile('/nonexistent/dir/x.png'), (e: unknown) => e instanceof AnimesegError && e.code === 'BAD_INPUT' && e.file === '/nonexistent/dir/x.png');
});

/** Minimal BMP writer for the tests: BITMAPINFOHEADER (or V4 when masks are given), rows as given (bottom-up). */
function buildBmp(w: number, h: number, bpp: number, compression: number, rows: number[][], palette?: number[][], masks?: number[]): Uint8Array {
  const headerSize = masks ? 108 : 40;
  const pal = palette ? palette.flat() : [];
  const pixels = rows.flat();
  const offset = 14 + headerSize + pal.length;
  const buf = new Uint8Array(offset + pixels.length);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x42;
  buf[1] = 0x4d;
  dv.setUint32(2, buf.length, true);
  dv.setUint32(10, offset, true);
  dv.setUint32(14, headerSize, true);
  dv.setInt32(18, w, true);
  dv.setInt32(22, h, true);
  dv.setUint16(26, 1, true);
  dv.setUint16(28, bpp, true);
  dv.setUint32(30, compression, true);
  dv.setUint32(46, palette ? palette.length : 0, true);
  if (masks) masks.forEach((m, i) => dv.setUint32(54 + 4 * i, m, true));
  buf.set(pal, 14 + headerSize);
  buf.set(pixels, offset);
  return buf;
}
