/**
 * The YOLOv8 ONNX contract, read from the model file instead of hard-coded: Ultralytics metadata
 * (`names`, `imgsz`, `stride`, `task`) and the graph's inputs/outputs. Segmentation exports (output0
 * [1, 4+nc+32, N] and prototypes [1, 32, H/4, W/4]) and detection exports (output0 [1, 4+nc, N] only) are
 * accepted, static 320/640 or dynamic, any class count; anything else is refused with BAD_MODEL saying
 * expected vs found.
 * Pure TypeScript (the browser bundle validates the same way).
 */
import { AnimesegError } from '../../errors.js';
import type { OnnxInfo, DimValue } from '../onnx/proto.js';

export type YoloTask = 'segment' | 'detect';

export interface YoloContract {
  /** 'segment': boxes and mask prototypes; 'detect': boxes only (masks come from a prior and a refiner). */
  task: YoloTask;
  /** Class names by id (nc = names.length). */
  names: string[];
  /** Network input size [height, width]. */
  imgsz: [number, number];
  stride: number;
  /** Input dims are symbolic (any size accepted by the graph). */
  dynamic: boolean;
  inputName: string;
  /** Detection head output: [1, 4 + nc + nm, anchors]. */
  output0Name: string;
  /** Prototype output: [1, nm, mh, mw]; undefined for a detection model. */
  protosName?: string;
  /**
   * Mask-coefficient channels in output0 (32 for YOLOv8-seg, 0 for a detection export; a segment model run
   * as a detector keeps its 32 and ignores them).
   */
  nm: number;
  /** Metadata as found (author, license, description, date, version, ...). */
  metadata: Record<string, string>;
}

function badModel(file: string | undefined, message: string, hint?: string): AnimesegError {
  return new AnimesegError('BAD_MODEL', message, {
    file,
    hint: hint ?? 'expected a YOLOv8 ONNX export (yolo export model=...pt format=onnx): input images [1,3,H,W], outputs [1,4+nc+32,anchors] and [1,32,H/4,W/4] (segment) or [1,4+nc,anchors] (detect)',
  });
}

/**
 * Parse a Python dict literal of class names as Ultralytics writes it with str(): "{0: 'person', 1: "it's"}".
 * Returns null when the text is not such a dict. Written by hand: it is a tiny subset of Python syntax.
 */
export function parseNamesDict(text: string): string[] | null {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return null;
  const out = new Map<number, string>();
  let i = 1;
  const skipWs = (): void => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const readString = (): string | null => {
    const q = s[i];
    if (q !== "'" && q !== '"') return null;
    i++;
    let v = '';
    while (i < s.length && s[i] !== q) {
      if (s[i] === '\\' && i + 1 < s.length) {
        const n = s[i + 1];
        v += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
      } else v += s[i++];
    }
    if (s[i] !== q) return null;
    i++;
    return v;
  };
  skipWs();
  if (s[i] === '}') return [];
  for (;;) {
    skipWs();
    const m = /^-?\d+/.exec(s.slice(i));
    if (!m) return null;
    const key = Number(m[0]);
    i += m[0].length;
    skipWs();
    if (s[i++] !== ':') return null;
    skipWs();
    const v = readString();
    if (v === null) return null;
    out.set(key, v);
    skipWs();
    if (s[i] === ',') {
      i++;
      skipWs();
      if (s[i] === '}') break;
      continue;
    }
    if (s[i] === '}') break;
    return null;
  }
  const n = out.size;
  const names: string[] = [];
  for (let k = 0; k < n; k++) {
    const v = out.get(k);
    if (v === undefined) return null; // keys must be 0..n-1
    names.push(v);
  }
  return names;
}

/** "[320, 320]", "[640]", "640" or "(640, 480)" → [h, w]; null when unreadable. */
export function parseImgsz(text: string | undefined): [number, number] | null {
  if (!text) return null;
  const nums = text.match(/\d+/g)?.map(Number) ?? [];
  if (nums.length === 1) return [nums[0], nums[0]];
  if (nums.length === 2) return [nums[0], nums[1]];
  return null;
}

const isNum = (d: DimValue | undefined): d is number => typeof d === 'number' && d > 0;
const fmtDims = (d: DimValue[]): string => `[${d.map((x) => (typeof x === 'number' && x >= 0 ? x : `'${x}'`)).join(', ')}]`;

/**
 * The largest network input side accepted. YOLOv8 exports use 320 to 1280 (rarely 1920); at 8192 px the
 * letterbox tensor alone is 3*8192*8192 float32 = 805 MB, and a size from broken metadata (60000) would
 * fail per image deep in the predictor ("Invalid typed array length") instead of once, here, at load.
 */
export const MAX_IMGSZ = 8192;

/** Validate an ONNX model against the YOLOv8 segment/detect contract. `file` is used in messages. */
export function readYoloContract(info: OnnxInfo, file?: string, opts: { imgsz?: number } = {}): YoloContract {
  const md = info.metadata;
  const mdTask = md.task;
  if (mdTask !== undefined && mdTask !== 'segment' && mdTask !== 'detect') {
    throw badModel(file, `model task is '${mdTask}', expected 'segment' (instance segmentation) or 'detect' (boxes)`);
  }
  if (md.end2end === 'True') {
    throw badModel(file, 'model was exported end-to-end (NMS inside the graph), expected raw outputs', 'export again with nms=False / end2end=False');
  }
  if (info.inputs.length !== 1) {
    throw badModel(file, `model has ${info.inputs.length} inputs (${info.inputs.map((i) => i.name).join(', ') || 'none'}), expected 1 image input`);
  }
  const input = info.inputs[0];
  if (input.elemType !== 1) throw badModel(file, `input '${input.name}' has element type ${input.elemType}, expected float32 (1)`);
  if (input.dims.length !== 4 || (isNum(input.dims[1]) && input.dims[1] !== 3)) {
    throw badModel(file, `input '${input.name}' has shape ${fmtDims(input.dims)}, expected [1, 3, H, W]`);
  }
  const rank3 = info.outputs.filter((o) => o.dims.length === 3);
  const rank4 = info.outputs.filter((o) => o.dims.length === 4);
  // The graph decides the task (one detection output, or detections plus prototypes); metadata must agree.
  const task: YoloTask = info.outputs.length === 1 && rank3.length === 1 ? 'detect' : 'segment';
  if (task === 'segment' && (info.outputs.length !== 2 || rank3.length !== 1 || rank4.length !== 1)) {
    throw badModel(file, `model outputs are ${info.outputs.map((o) => `${o.name} ${fmtDims(o.dims)}`).join(', ') || 'none'}, expected [1, 4+nc+32, anchors] and [1, 32, H/4, W/4] (segment) or one [1, 4+nc, anchors] (detect)`);
  }
  if (mdTask !== undefined && mdTask !== task) {
    throw badModel(file, `model metadata says task '${mdTask}' but its outputs (${info.outputs.map((o) => fmtDims(o.dims)).join(', ')}) are those of a ${task} model`);
  }
  const out0 = rank3[0];
  const protos = task === 'segment' ? rank4[0] : undefined;
  const nm = protos ? (isNum(protos.dims[1]) ? protos.dims[1] : 32) : 0;

  // Input size: static dims win; dynamic graphs use the metadata imgsz (or the caller's choice, or 640).
  const dynamic = !(isNum(input.dims[2]) && isNum(input.dims[3]));
  const mdImgsz = parseImgsz(md.imgsz);
  let imgsz: [number, number];
  if (!dynamic) imgsz = [input.dims[2] as number, input.dims[3] as number];
  else if (opts.imgsz) imgsz = [opts.imgsz, opts.imgsz];
  else imgsz = mdImgsz ?? [640, 640];
  const stride = Number(md.stride ?? 32) || 32;
  if (imgsz[0] > MAX_IMGSZ || imgsz[1] > MAX_IMGSZ) {
    throw badModel(file, `input size ${imgsz[0]}x${imgsz[1]} is larger than the limit of ${MAX_IMGSZ}x${MAX_IMGSZ}`, `a YOLOv8 export for ${MAX_IMGSZ} px or less per side is expected (usually 640 to 1280); check the model's imgsz metadata or export it again with a smaller imgsz`);
  }
  if (imgsz[0] % stride !== 0 || imgsz[1] % stride !== 0 || imgsz[0] <= 0 || imgsz[1] <= 0) {
    throw badModel(file, `input size ${imgsz[0]}x${imgsz[1]} is not a positive multiple of the stride ${stride}`);
  }

  let names: string[] | null = null;
  if (md.names !== undefined) {
    names = parseNamesDict(md.names);
    if (!names) throw badModel(file, `metadata 'names' is not a class dictionary: ${md.names.slice(0, 80)}`);
  }
  const ch = out0.dims[1];
  if (names === null) {
    if (!isNum(ch)) throw badModel(file, `model has no 'names' metadata and a dynamic channel count ${fmtDims(out0.dims)}: cannot tell the number of classes`);
    const nc = ch - 4 - nm;
    if (nc < 1) throw badModel(file, `output0 has ${ch} channels, expected 4 + nc${nm ? ` + ${nm}` : ''} with nc >= 1`);
    names = Array.from({ length: nc }, (_, k) => `class${k}`);
  }
  if (names.length < 1) throw badModel(file, "metadata 'names' is empty: expected at least one class");
  if (isNum(ch) && ch !== 4 + names.length + nm) {
    throw badModel(file, nm
      ? `output0 ${fmtDims(out0.dims)} has ${ch} channels, expected 4 + ${names.length} classes + ${nm} mask coefficients = ${4 + names.length + nm}`
      : `output0 ${fmtDims(out0.dims)} has ${ch} channels, expected 4 + ${names.length} classes = ${4 + names.length} (a detection model)`);
  }
  const anchors = out0.dims[2];
  const expectedAnchors = anchorCountFor(imgsz[0], imgsz[1]);
  if (!dynamic && isNum(anchors) && anchors !== expectedAnchors) {
    throw badModel(file, `output0 has ${anchors} anchors, expected ${expectedAnchors} for a ${imgsz[0]}x${imgsz[1]} input (strides 8, 16, 32)`);
  }
  return {
    task,
    names,
    imgsz,
    stride,
    dynamic,
    inputName: input.name,
    output0Name: out0.name,
    protosName: protos?.name,
    nm,
    metadata: { ...md },
  };
}

/** Anchors of a YOLOv8 head for an h x w input: one per cell at strides 8, 16 and 32. */
export function anchorCountFor(h: number, w: number): number {
  return [8, 16, 32].reduce((n, s) => n + Math.ceil(h / s) * Math.ceil(w / s), 0);
}

/** COCO-trained models (80 classes with 'person' as 0) default to persons only; others to every class. */
export function defaultClasses(names: readonly string[]): number[] | null {
  return names.length === 80 && names[0] === 'person' ? [0] : null;
}

/**
 * A segmentation model used as a detector: boxes only, its prototypes ignored (the masks then come from a
 * box prior and a refiner, exactly as for a detection export). Used to measure the detect-only path with a
 * real model, and by users who want boxes only.
 */
export function asDetector(c: YoloContract): YoloContract {
  return { ...c, task: 'detect', protosName: undefined };
}

/**
 * Check one run's output shapes against the contract and wrap them as YoloRawOutputs (shared by the
 * in-thread runner and the worker pool). `o1` is ignored for detection contracts.
 */
export function checkRawOutputs(
  c: YoloContract,
  o0: { data: Float32Array; dims: readonly number[] },
  o1: { data: Float32Array; dims: readonly number[] } | undefined,
  file: string,
  ms?: number,
): { output0: Float32Array; anchors: number; nc: number; protos?: { data: Float32Array; nm: number; mh: number; mw: number }; ms?: number } {
  const nc = c.names.length;
  const d0 = o0.dims;
  const want0 = 4 + nc + c.nm;
  if (c.task === 'detect') {
    if (d0.length !== 3 || d0[1] !== want0) {
      throw new AnimesegError('BAD_MODEL', `model produced output [${d0.join(', ')}], expected [1, ${want0}, anchors]`, { file });
    }
    return { output0: o0.data, anchors: d0[2], nc, ms };
  }
  const d1 = o1?.dims ?? [];
  if (!o1 || d0.length !== 3 || d0[1] !== want0 || d1.length !== 4 || d1[1] !== c.nm) {
    throw new AnimesegError('BAD_MODEL', `model produced outputs [${d0.join(', ')}] and [${d1.join(', ')}], expected [1, ${want0}, anchors] and [1, ${c.nm}, mh, mw]`, { file });
  }
  return { output0: o0.data, anchors: d0[2], nc, protos: { data: o1.data, nm: d1[1], mh: d1[2], mw: d1[3] }, ms };
}
