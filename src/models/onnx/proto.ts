/**
 * Minimal ONNX protobuf reader: the model's metadata_props, opset, producer and graph inputs/outputs.
 *
 * Written by hand on purpose: onnxruntime does not expose `metadata_props` (where Ultralytics stores
 * names/imgsz/stride/task), and a full protobuf runtime plus generated ONNX bindings would be a large
 * dependency for reading a handful of fields. Nodes and initializer payloads are skipped without decoding.
 */

export type DimValue = number | string; // a fixed size, or a symbolic name for a dynamic axis

export interface OnnxValueInfo {
  name: string;
  /** ONNX TensorProto.DataType (1 = float32, 7 = int64, ...); 0 when absent. */
  elemType: number;
  dims: DimValue[];
}

export interface OnnxInfo {
  irVersion: number;
  producer: string;
  producerVersion: string;
  /** Version of the default ('' / 'ai.onnx') operator set. */
  opset: number;
  metadata: Record<string, string>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export const ELEM_TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

class ProtoReader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    const start = this.pos;
    let result = 0;
    let shift = 1;
    // Up to 7 bytes (49 bits) fit a double exactly; longer varints are large or negative int64 (e.g. -1).
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 128;
    }
    return this.bigVarintFrom(start);
  }

  private bigVarintFrom(start: number): number {
    this.pos = start;
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, v));
      shift += 7n;
    }
    throw new Error('malformed varint');
  }

  tag(): { field: number; wire: number } {
    const t = this.varint();
    return { field: Math.floor(t / 8), wire: t & 7 };
  }

  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    return new TextDecoder().decode(this.bytes());
  }

  sub(): ProtoReader {
    const len = this.varint();
    if (this.pos + len > this.end) throw new Error('truncated sub-message');
    const r = new ProtoReader(this.buf, this.pos + len);
    r.pos = this.pos;
    this.pos += len;
    return r;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2: {
        const len = this.varint();
        this.pos += len;
        break;
      }
      case 5:
        this.pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
    if (this.pos > this.end) throw new Error('truncated field');
  }
}

function readValueInfo(r: ProtoReader): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, dims: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 2) info.name = r.string();
    else if (field === 2 && wire === 2) {
      const type = r.sub();
      while (!type.done) {
        const t = type.tag();
        if (t.field === 1 && t.wire === 2) {
          const tensor = type.sub();
          while (!tensor.done) {
            const tt = tensor.tag();
            if (tt.field === 1 && tt.wire === 0) info.elemType = tensor.varint();
            else if (tt.field === 2 && tt.wire === 2) {
              const shape = tensor.sub();
              while (!shape.done) {
                const st = shape.tag();
                if (st.field === 1 && st.wire === 2) {
                  const dim = shape.sub();
                  let value: DimValue = '?';
                  while (!dim.done) {
                    const dt = dim.tag();
                    if (dt.field === 1 && dt.wire === 0) value = dim.varint();
                    else if (dt.field === 2 && dt.wire === 2) value = dim.string();
                    else dim.skip(dt.wire);
                  }
                  info.dims.push(value);
                } else shape.skip(st.wire);
              }
            } else tensor.skip(tt.wire);
          }
        } else type.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return info;
}

function readInitializerName(r: ProtoReader): string {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 8 && wire === 2) return r.string();
    r.skip(wire);
  }
  return '';
}

/**
 * Read the parts of an ONNX ModelProto that callers validate against.
 * Throws a plain Error with a short reason on malformed bytes; callers wrap it in a BAD_MODEL error.
 */
export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  const r = new ProtoReader(bytes);
  const info: OnnxInfo = { irVersion: 0, producer: '', producerVersion: '', opset: 0, metadata: {}, inputs: [], outputs: [] };
  let sawGraph = false;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === 0) info.irVersion = r.varint();
    else if (field === 2 && wire === 2) info.producer = r.string();
    else if (field === 3 && wire === 2) info.producerVersion = r.string();
    else if (field === 7 && wire === 2) {
      sawGraph = true;
      const g = r.sub();
      const inputs: OnnxValueInfo[] = [];
      const initNames = new Set<string>();
      while (!g.done) {
        const t = g.tag();
        if (t.field === 11 && t.wire === 2) inputs.push(readValueInfo(g.sub()));
        else if (t.field === 12 && t.wire === 2) info.outputs.push(readValueInfo(g.sub()));
        else if (t.field === 5 && t.wire === 2) initNames.add(readInitializerName(g.sub()));
        else g.skip(t.wire);
      }
      // IR < 4 lists initializers among the inputs; they are not inputs a caller feeds.
      info.inputs = inputs.filter((i) => !initNames.has(i.name));
    } else if (field === 8 && wire === 2) {
      const o = r.sub();
      let domain = '';
      let version = 0;
      while (!o.done) {
        const t = o.tag();
        if (t.field === 1 && t.wire === 2) domain = o.string();
        else if (t.field === 2 && t.wire === 0) version = o.varint();
        else o.skip(t.wire);
      }
      if (domain === '' || domain === 'ai.onnx') info.opset = version;
    } else if (field === 14 && wire === 2) {
      const e = r.sub();
      let key = '';
      let value = '';
      while (!e.done) {
        const t = e.tag();
        if (t.field === 1 && t.wire === 2) key = e.string();
        else if (t.field === 2 && t.wire === 2) value = e.string();
        else e.skip(t.wire);
      }
      info.metadata[key] = value;
    } else r.skip(wire);
  }
  if (!sawGraph) throw new Error('no graph in the file (not an ONNX model)');
  return info;
}
