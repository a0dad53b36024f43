// Post-processing against Ultralytics' own outputs (../shared/data/reference/yolo, ultralytics 8.2.103):
// fed the stored raw ONNX outputs, our NMS / scale_boxes / masks must give the same detections.
// Expected values: reference.json and reference_conf005.json of each image (written by Ultralytics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { letterboxGeometry } from '../../src/models/yolo/letterbox.js';
import { postprocess } from '../../src/models/yolo/postprocess.js';
import { decodeRle } from '../../src/mask/rle.js';
import { maskIoU } from '../../src/mask/ops.js';
import type { Mask } from '../../src/mask/types.js';

const REF = '../shared/data/reference/yolo/dev';
const f32 = (p: string): Float32Array => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const diffPixels = (a: Mask, b: Mask): number => {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if ((a.data[i] !== 0) !== (b.data[i] !== 0)) n++;
  return n;
};

for (const stem of readdirSync(REF).sort()) {
  for (const file of ['reference.json', 'reference_conf005.json']) {
    test(`post-processing reproduces Ultralytics: ${stem} ${file}`, () => {
      const ref = JSON.parse(readFileSync(`${REF}/${stem}/${file}`, 'utf8'));
      const [h, w] = ref.orig_size;
      const [ih, iw] = ref.letterbox.input_hw;
      const g = letterboxGeometry(w, h, iw, ih);
      // Geometry: where LetterBox put the image and what scale_boxes uses (with its pad quirk).
      assert.equal(g.padLeft, ref.letterbox.pad_left);
      assert.equal(g.padTop, ref.letterbox.pad_top);
      assert.deepEqual([g.resizedH, g.resizedW], ref.letterbox.resized_hw);
      assert.equal(g.boxPadX, ref.letterbox.scale_boxes_pad_left);
      assert.equal(g.boxPadY, ref.letterbox.scale_boxes_pad_top);

      const out0 = f32(`${REF}/${stem}/output0.f32`);
      const protos = f32(`${REF}/${stem}/output1.f32`);
      const nc = ref.nms.nc;
      const anchors = out0.length / (4 + nc + 32);
      const mh = Math.sqrt(protos.length / 32);
      const dets = postprocess(
        { output0: out0, anchors, nc, protos: { data: protos, nm: 32, mh, mw: mh } },
        g,
        { conf: ref.nms.conf_thres, iou: ref.nms.iou_thres, maxDet: ref.nms.max_det, agnostic: ref.nms.agnostic, masks: 'both' },
      );
      assert.equal(dets.length, ref.detections.length, 'number of detections');
      ref.detections.forEach((e: any, i: number) => {
        const d = dets[i];
        assert.equal(d.anchor, e.anchor, `det ${i} anchor`);
        assert.equal(d.classId, e.cls, `det ${i} class`);
        assert.equal(d.score, Math.fround(e.score), `det ${i} score`); // a float32 printed as a double
        for (let k = 0; k < 4; k++) {
          assert.ok(Math.abs(d.box[k] - e.box[k]) <= 1e-3, `det ${i} box[${k}] ${d.box[k]} vs ${e.box[k]}`);
          assert.ok(Math.abs(d.boxLetterbox[k] - e.box_letterbox[k]) <= 1e-3, `det ${i} box_letterbox[${k}]`);
        }
        const native = decodeRle(e.mask_native_rle);
        const lb = decodeRle(e.mask_letterbox_rle);
        assert.ok(maskIoU(d.mask!, native) >= 0.999, `det ${i} native mask IoU ${maskIoU(d.mask!, native)} (${diffPixels(d.mask!, native)} px differ)`);
        assert.ok(maskIoU(d.maskLetterbox!, lb) >= 0.999, `det ${i} letterbox mask IoU ${maskIoU(d.maskLetterbox!, lb)}`);
        // Areas are stored separately in the reference; a few boundary pixels may flip (float rounding).
        assert.ok(Math.abs(maskAreaOf(d.mask!) - e.area_native) <= Math.max(2, e.area_native * 1e-3));
      });
    });
  }
}

function maskAreaOf(m: Mask): number {
  let a = 0;
  for (let i = 0; i < m.data.length; i++) a += m.data[i];
  return a;
}
