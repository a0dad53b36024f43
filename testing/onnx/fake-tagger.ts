/**
 * A small WD14-style tagger for tests, with the contract of SmilingWolf's exports: input 'input'
 * float32 [batch, S, S, 3] (NHWC, BGR 0..255), output 'output' float32 [batch, tags] of sigmoid
 * probabilities, plus a selected_tags.csv. Its probabilities are a computable function of the picture:
 * logit_k = w_k . mean(B, G, R) + b_k, so a test can derive the expected tags by hand.
 */
import { buildModel, f32 } from './builder.js';

export interface FakeTag {
  name: string;
  /** 0 general, 4 character, 9 rating (the CSV's categories). */
  category: number;
  /** Weights on the mean B, G, R (0..255) of the input, and the bias. */
  w: [number, number, number];
  b: number;
}

export function fakeTaggerModel(tags: readonly FakeTag[], side = 448): Uint8Array {
  const n = tags.length;
  const W = new Float32Array(3 * n);
  tags.forEach((t, k) => t.w.forEach((v, c) => (W[c * n + k] = v)));
  return buildModel({
    inputs: [{ name: 'input', type: 'float32', shape: ['batch', side, side, 3] }],
    outputs: [{ name: 'output', type: 'float32', shape: ['batch', n] }],
    initializers: [f32('W', [3, n], W), f32('b', [n], tags.map((t) => t.b))],
    nodes: [
      { op: 'ReduceMean', inputs: ['input'], outputs: ['mean'], attrs: { axes: { ints: [1, 2] }, keepdims: { i: 0 } } },
      { op: 'MatMul', inputs: ['mean', 'W'], outputs: ['logits'] },
      { op: 'Add', inputs: ['logits', 'b'], outputs: ['z'] },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['output'] },
    ],
    opset: 17,
  });
}

/** selected_tags.csv of the fake tags (the real file's columns: tag_id,name,category,count). */
export function fakeTagsCsv(tags: readonly FakeTag[]): string {
  return 'tag_id,name,category,count\n' + tags.map((t, i) => `${1000 + i},${t.name.includes(',') ? `"${t.name}"` : t.name},${t.category},${100 - i}`).join('\n') + '\n';
}
