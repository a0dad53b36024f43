/**
 * Generators of small YOLO-style ONNX models with the exact input/output contracts of Ultralytics exports,
 * for tests: static 320/640 and dynamic shapes, any class count, detection-only and malformed variants.
 * Their outputs are constants chosen by the test (plus 0 x mean(input), so the graph really consumes the
 * image), which makes the expected post-processing result computable by hand.
 */
import { buildModel, f32, type ModelSpec } from './builder.js';

export interface FakeYoloOptions {
  /** Square input size of a static export; ignored when dynamic (the metadata imgsz still says it). */
  imgsz?: number;
  dynamic?: boolean;
  /** Class names; their count is nc. */
  names?: string[];
  task?: 'segment' | 'detect' | 'classify';
  /** Raw output0 [1, 4 + nc + 32, anchors] (or [1, 4 + nc, anchors] for detect). Zeros when absent. */
  output0?: Float32Array;
  /** Raw protos [1, 32, imgsz/4, imgsz/4]. Zeros when absent. */
  protos?: Float32Array;
  /** Extra or overriding metadata_props. */
  metadata?: Record<string, string>;
  /** Omit Ultralytics metadata entirely (a plain exported graph). */
  noMetadata?: boolean;
}

/** Number of anchors for a square input: strides 8, 16, 32. */
export function anchorCount(imgsz: number): number {
  return (imgsz / 8) ** 2 + (imgsz / 16) ** 2 + (imgsz / 32) ** 2;
}

/** Ultralytics writes metadata values with Python's str(): dicts and lists in Python syntax. */
export function pythonDict(names: string[]): string {
  return `{${names.map((n, i) => `${i}: '${n.replace(/'/g, "\\'")}'`).join(', ')}}`;
}

export function fakeYoloModel(opts: FakeYoloOptions = {}): Uint8Array {
  const imgsz = opts.imgsz ?? 640;
  const names = opts.names ?? ['character'];
  const nc = names.length;
  const task = opts.task ?? 'segment';
  const nm = task === 'segment' ? 32 : 0;
  const anchors = anchorCount(imgsz);
  const ch0 = 4 + nc + nm;
  const out0 = opts.output0 ?? new Float32Array(ch0 * anchors);
  if (out0.length !== ch0 * anchors) throw new Error(`output0 must have ${ch0 * anchors} values`);
  const mh = imgsz / 4;
  const protos = opts.protos ?? new Float32Array(32 * mh * mh);

  const inShape: (number | string)[] = opts.dynamic ? ['batch', 3, 'height', 'width'] : [1, 3, imgsz, imgsz];
  const spec: ModelSpec = {
    inputs: [{ name: 'images', type: 'float32', shape: inShape }],
    outputs: [{ name: 'output0', type: 'float32', shape: opts.dynamic ? ['batch', ch0, 'anchors'] : [1, ch0, anchors] }],
    initializers: [f32('zero', [1], [0]), f32('const0', [1, ch0, anchors], out0)],
    nodes: [
      { op: 'ReduceMean', inputs: ['images'], outputs: ['mean'], attrs: { axes: { ints: [1, 2, 3] }, keepdims: { i: 0 } } },
      { op: 'Mul', inputs: ['mean', 'zero'], outputs: ['nothing'] },
      { op: 'Add', inputs: ['const0', 'nothing'], outputs: ['output0'] },
    ],
    opset: 17,
    metadata: opts.noMetadata
      ? {}
      : {
          description: `animeseg fake YOLOv8-${task} test model`,
          author: 'animeseg tests',
          license: 'MIT (generated test model)',
          stride: '32',
          task,
          batch: '1',
          imgsz: `[${imgsz}, ${imgsz}]`,
          names: pythonDict(names),
          ...opts.metadata,
        },
  };
  if (task === 'segment') {
    spec.outputs.push({ name: 'output1', type: 'float32', shape: opts.dynamic ? ['batch', 32, 'mh', 'mw'] : [1, 32, mh, mh] });
    spec.initializers!.push(f32('const1', [1, 32, mh, mh], protos));
    spec.nodes.push({ op: 'Add', inputs: ['const1', 'nothing'], outputs: ['output1'] });
  }
  return buildModel(spec);
}

/** One detection a fake model reports: centre, size (network-input pixels), class and score. */
export interface FakeDetection {
  cx: number;
  cy: number;
  w: number;
  h: number;
  classId: number;
  score: number;
  /** Mask coefficients (segment models; the rest stay 0). */
  coeffs?: number[];
}

/**
 * A raw output0 [4 + nc + nm, anchors] holding `dets` in anchors 0, 1, ... (the others all zero), for
 * fakeYoloModel: nm = 32 for a segment model, 0 for a detection model.
 */
export function fakeOutput0(imgsz: number, nc: number, nm: number, dets: readonly FakeDetection[]): Float32Array {
  const A = anchorCount(imgsz);
  const out = new Float32Array((4 + nc + nm) * A);
  dets.forEach((d, a) => {
    out[a] = d.cx;
    out[A + a] = d.cy;
    out[2 * A + a] = d.w;
    out[3 * A + a] = d.h;
    out[(4 + d.classId) * A + a] = d.score;
    (d.coeffs ?? []).forEach((c, k) => (out[(4 + nc + k) * A + a] = c));
  });
  return out;
}
