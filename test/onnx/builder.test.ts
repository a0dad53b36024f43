// The ONNX writer and reader checked against onnxruntime itself (an independent protobuf parser):
// a model we write must load and compute what its graph says; metadata we write must read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildModel, f32 } from '../../testing/onnx/builder.js';
import { readOnnxInfo } from '../../src/models/onnx/proto.js';
import { fakeYoloModel, anchorCount } from '../../testing/onnx/fake-models.js';

test('a built Add/Mul graph runs in onnxruntime and gives the hand-computed result', async () => {
  const bytes = buildModel({
    inputs: [{ name: 'x', type: 'float32', shape: [2, 2] }],
    outputs: [{ name: 'y', type: 'float32', shape: [2, 2] }],
    initializers: [f32('w', [2, 2], [1, 2, 3, 4]), f32('b', [1], [10])],
    nodes: [
      { op: 'Mul', inputs: ['x', 'w'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['y'] },
    ],
    metadata: { hello: 'world' },
  });
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 2, -1]), [2, 2]) });
  // y = x * w + 10 = [1*1+10, 1*2+10, 2*3+10, -1*4+10]
  assert.deepEqual(Array.from(out.y.data as Float32Array), [11, 12, 16, 6]);
  assert.deepEqual(readOnnxInfo(bytes).metadata, { hello: 'world' });
});

test('readOnnxInfo reads the shared Ultralytics export: metadata, opset, inputs and outputs', () => {
  // Expected values: ../shared/models/README.md (input [1,3,320,320], outputs [1,116,2100] and [1,32,80,80]).
  const info = readOnnxInfo(readFileSync('../shared/models/yolov8n-seg_int8.onnx'));
  assert.equal(info.metadata.task, 'segment');
  assert.equal(info.metadata.imgsz, '[320, 320]');
  assert.ok(info.metadata.names.startsWith("{0: 'person', 1: 'bicycle'"));
  assert.deepEqual(info.inputs.map((i) => [i.name, i.dims]), [['images', [1, 3, 320, 320]]]);
  assert.deepEqual(info.outputs.map((o) => [o.name, o.dims]), [
    ['output0', [1, 116, 2100]],
    ['output1', [1, 32, 80, 80]],
  ]);
  assert.equal(info.opset, 20);
});

test('readOnnxInfo rejects bytes that are not a model', () => {
  assert.throws(() => readOnnxInfo(new TextEncoder().encode('this is a text file, not ONNX')));
  assert.throws(() => readOnnxInfo(new Uint8Array(0)), /no graph/);
});

test('fake YOLO-seg models: static 640 and dynamic shapes load and return the constants given', async () => {
  const nc = 2;
  const anchors = anchorCount(640); // 80^2 + 40^2 + 20^2 = 8400
  assert.equal(anchors, 8400);
  const out0 = new Float32Array((4 + nc + 32) * anchors).map((_, i) => (i % 7) / 7);
  for (const dynamic of [false, true]) {
    const bytes = fakeYoloModel({ imgsz: 640, names: ['a', 'b'], output0: out0, dynamic });
    const info = readOnnxInfo(bytes);
    assert.equal(info.metadata.names, "{0: 'a', 1: 'b'}");
    assert.deepEqual(info.inputs[0].dims, dynamic ? ['batch', 3, 'height', 'width'] : [1, 3, 640, 640]);
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ images: new ort.Tensor('float32', new Float32Array(3 * 640 * 640).fill(0.5), [1, 3, 640, 640]) });
    assert.deepEqual(r.output0.dims, [1, 38, 8400]);
    assert.deepEqual(r.output1.dims, [1, 32, 160, 160]);
    assert.equal((r.output0.data as Float32Array)[13], out0[13]);
  }
});
