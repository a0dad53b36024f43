// Our decode + letterbox + tensor conversion against the exact network input Ultralytics fed the model
// (../shared/data/reference/yolo/dev/*/input.f32, made with OpenCV imread + LetterBox + /255).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeImageFile } from '../../src/image/decode.js';
import { letterboxTensor } from '../../src/models/yolo/letterbox.js';

const REF = '../shared/data/reference/yolo';

for (const stem of readdirSync(`${REF}/dev`).sort()) {
  test(`letterbox tensor is bit-identical to Ultralytics: ${stem}`, async () => {
    const ref = JSON.parse(readFileSync(`${REF}/dev/${stem}/reference.json`, 'utf8'));
    const { image } = await decodeImageFile(`${REF}/../${ref.image_path}`);
    assert.deepEqual([image.height, image.width], ref.orig_size);
    const [ih, iw] = ref.letterbox.input_hw;
    const { tensor } = letterboxTensor(image, iw, ih);
    const b = readFileSync(`${REF}/dev/${stem}/input.f32`);
    const expected = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    assert.equal(tensor.length, expected.length);
    let maxDiff = 0;
    let nDiff = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(tensor[i] - expected[i]);
      if (d > 0) nDiff++;
      if (d > maxDiff) maxDiff = d;
    }
    assert.equal(nDiff, 0, `${nDiff} values differ, max |diff| = ${maxDiff} (${(maxDiff * 255).toFixed(2)}/255)`);
  });
}
