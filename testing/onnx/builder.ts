/**
 * A tiny ONNX model writer, used to generate the small test models this project needs (fake YOLO-seg
 * exports of every shape, fake SAM encoders/decoders) without Python or downloaded weights.
 *
 * Hand-written protobuf encoding of the few ModelProto/GraphProto/NodeProto/TensorProto fields used,
 * for the same reason as proto.ts: no generated bindings or protobuf runtime in the package.
 * Field numbers follow onnx/onnx.proto.
 */

export type ElemType = 'float32' | 'uint8' | 'int8' | 'int32' | 'int64' | 'bool';

const ELEM_CODES: Record<ElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 };

export interface TensorSpec {
  name: string;
  type: ElemType;
  dims: number[];
  /** Element values; int64 may be given as numbers. */
  data: Float32Array | Uint8Array | Int8Array | Int32Array | BigInt64Array | number[];
}

export interface ValueSpec {
  name: string;
  type: ElemType;
  /** Fixed sizes as numbers, dynamic axes as names. */
  shape: (number | string)[];
}

export type AttrValue =
  | { i: number }
  | { f: number }
  | { s: string }
  | { ints: number[] }
  | { floats: number[] }
  | { t: TensorSpec };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  /** Default operator set version (17 unless given). */
  opset?: number;
  irVersion?: number;
  producer?: string;
  metadata?: Record<string, string>;
  graphName?: string;
}

/** Protobuf message being written: a list of byte chunks. */
class Msg {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.size += b.length;
  }

  private varintBytes(v: number | bigint): Uint8Array {
    let x = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      out.push(b);
    } while (x > 0n);
    return Uint8Array.from(out);
  }

  private tag(field: number, wire: number): void {
    this.push(this.varintBytes(field * 8 + wire));
  }

  varint(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.push(this.varintBytes(v));
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.push(this.varintBytes(b.length));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, m: Msg): this {
    return this.bytes(field, m.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function tensorBytes(t: TensorSpec): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  let typed: ArrayBufferView;
  if (Array.isArray(t.data)) {
    switch (t.type) {
      case 'float32':
        typed = Float32Array.from(t.data);
        break;
      case 'int64':
        typed = BigInt64Array.from(t.data.map((v) => BigInt(v)));
        break;
      case 'int32':
        typed = Int32Array.from(t.data);
        break;
      case 'int8':
        typed = Int8Array.from(t.data);
        break;
      default:
        typed = Uint8Array.from(t.data);
    }
  } else typed = t.data;
  const bytesPer = { float32: 4, uint8: 1, int8: 1, int32: 4, int64: 8, bool: 1 }[t.type];
  if (typed.byteLength !== n * bytesPer) {
    throw new Error(`tensor ${t.name}: ${typed.byteLength} bytes of data for dims [${t.dims}] of ${t.type}`);
  }
  // raw_data is little-endian; typed arrays on every platform Node supports are little-endian.
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice();
}

function encodeTensor(t: TensorSpec): Msg {
  const m = new Msg();
  for (const d of t.dims) m.varint(1, d);
  m.varint(2, ELEM_CODES[t.type]);
  m.string(8, t.name);
  m.bytes(9, tensorBytes(t));
  return m;
}

function encodeValueInfo(v: ValueSpec): Msg {
  const shape = new Msg();
  for (const d of v.shape) {
    const dim = new Msg();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Msg().varint(1, ELEM_CODES[v.type]).message(2, shape);
  const type = new Msg().message(1, tensorType);
  return new Msg().string(1, v.name).message(2, type);
}

function encodeAttr(name: string, a: AttrValue): Msg {
  const m = new Msg().string(1, name);
  // AttributeProto.type: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7
  if ('f' in a) m.float(2, a.f).varint(20, 1);
  else if ('i' in a) m.varint(3, a.i).varint(20, 2);
  else if ('s' in a) m.string(4, a.s).varint(20, 3);
  else if ('t' in a) m.message(5, encodeTensor(a.t)).varint(20, 4);
  else if ('floats' in a) {
    for (const f of a.floats) m.float(7, f);
    m.varint(20, 6);
  } else {
    for (const i of a.ints) m.varint(8, i);
    m.varint(20, 7);
  }
  return m;
}

function encodeNode(n: NodeSpec, index: number): Msg {
  const m = new Msg();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  m.string(3, n.name ?? `${n.op}_${index}`);
  m.string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) m.message(5, encodeAttr(k, v));
  if (n.domain) m.string(7, n.domain);
  return m;
}

/** Serialise a model description to ONNX bytes that onnxruntime loads. */
export function buildModel(spec: ModelSpec): Uint8Array {
  const graph = new Msg();
  spec.nodes.forEach((n, i) => graph.message(1, encodeNode(n, i)));
  graph.string(2, spec.graphName ?? 'animeseg_test_graph');
  for (const t of spec.initializers ?? []) graph.message(5, encodeTensor(t));
  for (const v of spec.inputs) graph.message(11, encodeValueInfo(v));
  for (const v of spec.outputs) graph.message(12, encodeValueInfo(v));

  const model = new Msg();
  model.varint(1, spec.irVersion ?? 8);
  model.string(2, spec.producer ?? 'animeseg-test-builder');
  model.string(3, '1');
  model.message(7, graph);
  model.message(8, new Msg().string(1, '').varint(2, spec.opset ?? 17));
  for (const [k, v] of Object.entries(spec.metadata ?? {})) model.message(14, new Msg().string(1, k).string(2, v));
  return model.finish();
}

/** Shorthand for a float32 initializer. */
export function f32(name: string, dims: number[], data: Float32Array | number[]): TensorSpec {
  return { name, type: 'float32', dims, data: data instanceof Float32Array ? data : Float32Array.from(data) };
}

/** Shorthand for an int64 initializer. */
export function i64(name: string, dims: number[], data: number[]): TensorSpec {
  return { name, type: 'int64', dims, data };
}
