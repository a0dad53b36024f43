/**
 * Small fake Segment Anything ONNX models with the exact public contracts, for tests and benches (no SAM
 * weights exist on our machines). Their outputs are simple closed forms, so expected AMG / refiner results
 * can be worked out by hand:
 *  - encoder: input `x` [1,3,1024,1024] → `image_embeddings` [1,256,64,64] = 1x1 conv (weights W[k][c] given
 *    by `encoderWeight`) of the 16x16 average pool of the input.
 *  - decoder: SAM decoder inputs/outputs; output mask m is a disc of radius radii[m] around the FIRST prompt
 *    point mapped back to the original frame (x * W / rw, y * H / rh with [rh, rw] = int([H, W] * 1024 /
 *    max(H, W) + 0.5)): logit(x, y) = slopes[m] * (radii[m] - dist((x, y), centre)) on integer pixel indices.
 *    iou_predictions[b][m] = ious[m]; low_res_masks = the same discs on the 256x256 low-res grid.
 */
import { buildModel, f32, i64, type ModelSpec, type NodeSpec } from '../onnx/builder.js';

export interface FakeEncoderOptions {
  inputName?: string;
}

/** W[k][c] of the fake encoder's 1x1 conv: an independent formula tests can recompute. */
export function encoderWeight(k: number, c: number): number {
  return ((k % 7) - 3) * 0.25 + (c + 1) * 0.1 * ((k % 3) - 1);
}

export function fakeSamEncoder(opts: FakeEncoderOptions = {}): Uint8Array {
  const name = opts.inputName ?? 'x';
  const w = new Float32Array(256 * 3);
  for (let k = 0; k < 256; k++) for (let c = 0; c < 3; c++) w[k * 3 + c] = encoderWeight(k, c);
  const spec: ModelSpec = {
    inputs: [{ name, type: 'float32', shape: [1, 3, 1024, 1024] }],
    outputs: [{ name: 'image_embeddings', type: 'float32', shape: [1, 256, 64, 64] }],
    initializers: [f32('w', [256, 3, 1, 1], w)],
    nodes: [
      { op: 'AveragePool', inputs: [name], outputs: ['pooled'], attrs: { kernel_shape: { ints: [16, 16] }, strides: { ints: [16, 16] } } },
      { op: 'Conv', inputs: ['pooled', 'w'], outputs: ['image_embeddings'], attrs: { kernel_shape: { ints: [1, 1] } } },
    ],
    opset: 17,
    metadata: { description: 'animeseg fake SAM encoder (test model)' },
  };
  return buildModel(spec);
}

export interface FakeDecoderOptions {
  /** Masks per prompt: 4 (return_single_mask=False) or 1. Default 4. */
  numMasks?: 1 | 4;
  /** Whether point_coords takes a dynamic batch dimension. Default false (like the public exports). */
  batched?: boolean;
  /** Disc radius per output, in original-frame pixels. */
  radii?: number[];
  /** Logit slope per output (larger = more stable). */
  slopes?: number[];
  /** Predicted IoU per output. */
  ious?: number[];
  /**
   * Make `masks` the way the real export does (SamOnnxModel.mask_postprocessing): bilinear upsampling of the
   * low-res 256x256 logits to 1024x1024, crop to the resized image, bilinear resize to orig_im_size. The discs
   * are then only approximately the lattice discs, so tests use the exact form; benches use this one because
   * its cost is a LOWER BOUND of a real SAM decoder's (which also runs the prompt encoder and transformer).
   */
  realisticUpsampling?: boolean;
  /**
   * Check SAM's prompt contract as the AMG must use it (segment-anything's SamOnnxModel with no box): the
   * last point is the padding point (0, 0) with label -1, and has_mask_input is 0. Any prompt that breaks
   * it gets predicted IoU 0 for every output, so the AMG's pred_iou_thresh drops all its masks.
   */
  strictPrompts?: boolean;
}

export const FAKE_DECODER_DEFAULTS = {
  radii: [5.5, 6.2, 7.5, 30],
  slopes: [10, 10, 10, 10],
  ious: [0.99, 0.9, 0.95, 0.8],
};

export function fakeSamDecoder(opts: FakeDecoderOptions = {}): Uint8Array {
  const m = opts.numMasks ?? 4;
  const pick = (v: number[] | undefined, d: number[]) => {
    const a = v ?? (m === 4 ? d : [d[0]]);
    if (a.length !== m) throw new Error(`fake decoder: expected ${m} values, got ${a.length}`);
    return a;
  };
  const radii = pick(opts.radii, FAKE_DECODER_DEFAULTS.radii);
  const slopes = pick(opts.slopes, FAKE_DECODER_DEFAULTS.slopes);
  const ious = pick(opts.ious, FAKE_DECODER_DEFAULTS.ious);
  const B: number | string = opts.batched ? 'batch' : 1;

  const n = (op: string, inputs: string[], outputs: string[], attrs?: NodeSpec['attrs']): NodeSpec => ({ op, inputs, outputs, attrs });
  const nodes: NodeSpec[] = [
    // first prompt point, x and y as [B,1,1,1]
    n('Slice', ['point_coords', 'c0', 'c1', 'c1'], ['p1']), // [B,1,2]
    n('Slice', ['p1', 'c0', 'c1', 'c2'], ['px3']),
    n('Slice', ['p1', 'c1', 'c2', 'c2'], ['py3']),
    n('Unsqueeze', ['px3', 'c3'], ['px']),
    n('Unsqueeze', ['py3', 'c3'], ['py']),
    // original size and the resized (1024) size
    n('Slice', ['orig_im_size', 'c0', 'c1', 'c0'], ['H1']),
    n('Slice', ['orig_im_size', 'c1', 'c2', 'c0'], ['W1']),
    n('Max', ['H1', 'W1'], ['maxHW']),
    n('Div', ['f1024', 'maxHW'], ['scale']),
    n('Mul', ['H1', 'scale'], ['Hs']),
    n('Add', ['Hs', 'fhalf'], ['Hs5']),
    n('Floor', ['Hs5'], ['rh']),
    n('Mul', ['W1', 'scale'], ['Ws']),
    n('Add', ['Ws', 'fhalf'], ['Ws5']),
    n('Floor', ['Ws5'], ['rw']),
    n('Div', ['W1', 'rw'], ['fx']),
    n('Div', ['H1', 'rh'], ['fy']),
    n('Mul', ['px', 'fx'], ['cx']),
    n('Mul', ['py', 'fy'], ['cy']),
    // pixel index grids
    n('Squeeze', ['H1', 'c0'], ['Hs0']),
    n('Squeeze', ['W1', 'c0'], ['Ws0']),
    n('Range', ['fzero', 'Hs0', 'fone'], ['ys1']),
    n('Range', ['fzero', 'Ws0', 'fone'], ['xs1']),
    n('Reshape', ['ys1', 'shapeCol'], ['ys']),
    n('Reshape', ['xs1', 'shapeRow'], ['xs']),
    n('Sub', ['xs', 'cx'], ['dx']),
    n('Sub', ['ys', 'cy'], ['dy']),
    n('Mul', ['dx', 'dx'], ['dx2']),
    n('Mul', ['dy', 'dy'], ['dy2']),
    n('Add', ['dx2', 'dy2'], ['d2']),
    n('Sqrt', ['d2'], ['dist']),
    n('Sub', ['radii', 'dist'], ['rd']),
    n('Mul', ['rd', 'slopes'], [opts.realisticUpsampling ? 'exactMasks' : 'masks']),
    // iou_predictions [B, M] (+ 0 x mean(embeddings) so the graph consumes the embedding)
    n('ReduceMean', ['image_embeddings'], ['embMean'], { keepdims: { i: 0 } }),
    n('Mul', ['embMean', 'fzero'], ['embZero']),
    n('Reshape', ['px', 'shapeB1'], ['pxB1']),
    n('Mul', ['pxB1', 'fzero'], ['zB1']),
    n('Add', ['zB1', 'embZero'], ['zB1e']),
    n('Add', ['ious', 'zB1e'], [opts.strictPrompts ? 'iouRaw' : 'iou_predictions']),
    // low_res_masks: the same discs on a 256 grid over the 1024 frame (coordinates / 4)
    n('Div', ['px', 'f4'], ['lx']),
    n('Div', ['py', 'f4'], ['ly']),
    n('Sub', ['grid256row', 'lx'], ['ldx']),
    n('Sub', ['grid256col', 'ly'], ['ldy']),
    n('Mul', ['ldx', 'ldx'], ['ldx2']),
    n('Mul', ['ldy', 'ldy'], ['ldy2']),
    n('Add', ['ldx2', 'ldy2'], ['ld2']),
    n('Sqrt', ['ld2'], ['ldist']),
    n('Mul', ['scale', 'f025'], ['lscale']),
    n('Mul', ['radii', 'lscale'], ['lradii']),
    n('Sub', ['lradii', 'ldist'], ['lrd']),
    n('Mul', ['lrd', 'slopes'], ['low_res_masks']),
  ];
  if (opts.strictPrompts) {
    nodes.push(
      // gate [B,1] = (last point == (0, 0)) * (last label == -1) * (has_mask_input == 0)
      n('Slice', ['point_coords', 'cm1', 'cbig', 'c1'], ['lastPt']),
      n('Abs', ['lastPt'], ['lastAbs']),
      n('ReduceSum', ['lastAbs', 'c2'], ['lastSum'], { keepdims: { i: 0 } }),
      n('Equal', ['lastSum', 'fzero'], ['atOrigin']),
      n('Cast', ['atOrigin'], ['gCoord'], { to: { i: 1 } }),
      n('Slice', ['point_labels', 'cm1', 'cbig', 'c1'], ['lastLabel']),
      n('Equal', ['lastLabel', 'fminus1'], ['isPadding']),
      n('Cast', ['isPadding'], ['gLabel'], { to: { i: 1 } }),
      n('Equal', ['has_mask_input', 'fzero'], ['noMask']),
      n('Cast', ['noMask'], ['gMask'], { to: { i: 1 } }),
      n('Mul', ['gCoord', 'gLabel'], ['g2']),
      n('Mul', ['g2', 'gMask'], ['gate']),
      n('Mul', ['iouRaw', 'gate'], ['iou_predictions']),
    );
  }
  if (opts.realisticUpsampling) {
    const linear = { mode: { s: 'linear' }, coordinate_transformation_mode: { s: 'half_pixel' } };
    nodes.push(
      n('Shape', ['low_res_masks'], ['lowShape']),
      n('Slice', ['lowShape', 'c0', 'c2', 'c0'], ['bm']),
      n('Concat', ['bm', 'size1024'], ['sizes1'], { axis: { i: 0 } }),
      n('Resize', ['low_res_masks', '', '', 'sizes1'], ['up1024'], linear),
      n('Concat', ['rh', 'rw'], ['rhwF'], { axis: { i: 0 } }),
      n('Cast', ['rhwF'], ['rhw'], { to: { i: 7 } }),
      n('Slice', ['up1024', 'zeros2', 'rhw', 'axes23'], ['cropped']),
      n('Cast', ['orig_im_size'], ['origI'], { to: { i: 7 } }),
      n('Concat', ['bm', 'origI'], ['sizes2'], { axis: { i: 0 } }),
      n('Resize', ['cropped', '', '', 'sizes2'], ['masks'], linear),
    );
  }
  // the exact full-size discs are not computed in the realistic variant
  const exactOnly = new Set(['Hs0', 'Ws0', 'ys1', 'xs1', 'ys', 'xs', 'dx', 'dy', 'dx2', 'dy2', 'd2', 'dist', 'rd', 'exactMasks']);
  const graphNodes = opts.realisticUpsampling ? nodes.filter((nd) => !exactOnly.has(nd.outputs[0])) : nodes;
  const used = new Set(graphNodes.flatMap((nd) => nd.inputs));
  const grid256 = Float32Array.from({ length: 256 }, (_, i) => i);
  const spec: ModelSpec = {
    inputs: [
      { name: 'image_embeddings', type: 'float32', shape: [1, 256, 64, 64] },
      { name: 'point_coords', type: 'float32', shape: [B, 'num_points', 2] },
      { name: 'point_labels', type: 'float32', shape: [B, 'num_points'] },
      { name: 'mask_input', type: 'float32', shape: [1, 1, 256, 256] },
      { name: 'has_mask_input', type: 'float32', shape: [1] },
      { name: 'orig_im_size', type: 'float32', shape: [2] },
    ],
    outputs: [
      { name: 'masks', type: 'float32', shape: [B, m, 'height', 'width'] },
      { name: 'iou_predictions', type: 'float32', shape: [B, m] },
      { name: 'low_res_masks', type: 'float32', shape: [B, m, 256, 256] },
    ],
    initializers: [
      i64('c0', [1], [0]),
      i64('c1', [1], [1]),
      i64('c2', [1], [2]),
      i64('c3', [1], [3]),
      i64('cm1', [1], [-1]),
      i64('cbig', [1], [2147483647]),
      f32('fminus1', [], [-1]),
      i64('shapeCol', [4], [1, 1, -1, 1]),
      i64('shapeRow', [4], [1, 1, 1, -1]),
      i64('shapeB1', [2], [-1, 1]),
      f32('f1024', [1], [1024]),
      f32('fhalf', [1], [0.5]),
      f32('fzero', [], [0]),
      f32('fone', [], [1]),
      f32('f4', [1], [4]),
      f32('f025', [1], [0.25]),
      f32('radii', [1, m, 1, 1], radii),
      f32('slopes', [1, m, 1, 1], slopes),
      f32('ious', [1, m], ious),
      f32('grid256row', [1, 1, 1, 256], grid256),
      f32('grid256col', [1, 1, 256, 1], grid256),
      i64('size1024', [2], [1024, 1024]),
      i64('zeros2', [2], [0, 0]),
      i64('axes23', [2], [2, 3]),
    ].filter((t) => used.has(t.name)),
    nodes: graphNodes,
    opset: 17,
    metadata: { description: `animeseg fake SAM decoder (test model), ${m} mask(s)${opts.batched ? ', batched' : ''}` },
  };
  return buildModel(spec);
}

/** Write the fake pair into `dir` and return their paths. */
export async function writeFakeSamPair(
  dir: string,
  decoder: FakeDecoderOptions = {},
  encoder: FakeEncoderOptions = {},
): Promise<{ encoderPath: string; decoderPath: string }> {
  const { writeFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const tag = `${decoder.numMasks ?? 4}${decoder.batched ? 'b' : ''}${decoder.realisticUpsampling ? 'u' : ''}${decoder.strictPrompts ? 's' : ''}`;
  const encoderPath = join(dir, `fake-sam-encoder-${encoder.inputName ?? 'x'}.onnx`);
  const decoderPath = join(dir, `fake-sam-decoder-${tag}-${Math.random().toString(36).slice(2, 8)}.onnx`);
  await writeFile(encoderPath, fakeSamEncoder(encoder));
  await writeFile(decoderPath, fakeSamDecoder(decoder));
  return { encoderPath, decoderPath };
}
