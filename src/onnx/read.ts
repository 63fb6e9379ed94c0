import { ModelFormatError } from '../errors/model-format-error.js';
import { MAX_OPSET } from './opsets.js';
import { num, onnx, type LongLike, type P } from './proto.js';
import { tensor } from './tensor.js';
import type { Attr, DType, Dim, Graph, Node, Tensor, TypedData, ValueInfo } from './types.js';

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

export const DTYPE_OF_PROTO: Readonly<Record<number, DType>> = {
  [DT.FLOAT]: 'float32',
  [DT.DOUBLE]: 'float64',
  [DT.INT64]: 'int64',
  [DT.INT32]: 'int32',
  [DT.INT8]: 'int8',
  [DT.UINT8]: 'uint8',
  [DT.BOOL]: 'bool',
};

function dtypeOf(code: number | null | undefined, where: string): DType {
  const d = DTYPE_OF_PROTO[code ?? 0];
  if (!d) throw new ModelFormatError(`unsupported tensor element type ${code} in ${where}`);
  return d;
}

function copyRaw(raw: Uint8Array, dtype: DType, n: number): TypedData {
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  switch (dtype) {
    case 'float32': return new Float32Array(buf, 0, n);
    case 'float64': return new Float64Array(buf, 0, n);
    case 'int64': return new BigInt64Array(buf, 0, n);
    case 'int32': return new Int32Array(buf, 0, n);
    case 'int8': return new Int8Array(buf, 0, n);
    case 'uint8': case 'bool': return new Uint8Array(buf, 0, n);
  }
}

export function tensorFromProto(t: P.ITensorProto): Tensor {
  const name = t.name ?? '(unnamed)';
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    throw new ModelFormatError(`tensor ${name} uses external data, which is not supported; save the model with weights inside the file`);
  }
  const dtype = dtypeOf(t.dataType, `tensor ${name}`);
  const dims = (t.dims ?? []).map((d) => num(d as LongLike));
  const n = dims.reduce((a, b) => a * b, 1);
  let data: TypedData;
  if (t.rawData && t.rawData.length > 0) {
    data = copyRaw(t.rawData, dtype, n);
  } else if (dtype === 'float32') {
    data = Float32Array.from(t.floatData ?? []);
  } else if (dtype === 'float64') {
    data = Float64Array.from(t.doubleData ?? []);
  } else if (dtype === 'int64') {
    data = BigInt64Array.from((t.int64Data ?? []) as LongLike[], (v) => BigInt(num(v)));
  } else {
    const ints = t.int32Data ?? [];
    data = dtype === 'int32' ? Int32Array.from(ints) : dtype === 'int8' ? Int8Array.from(ints) : Uint8Array.from(ints);
  }
  if (data.length !== n) throw new ModelFormatError(`tensor ${name} has ${data.length} values for dims [${dims.join(',')}]`);
  return tensor(dtype, dims, data);
}

function attrFromProto(a: P.IAttributeProto): Attr {
  switch (a.type) {
    case AT.INT: return { type: 'int', value: num(a.i as LongLike) };
    case AT.FLOAT: return { type: 'float', value: a.f ?? 0 };
    case AT.INTS: return { type: 'ints', value: (a.ints ?? []).map((v) => num(v as LongLike)) };
    case AT.FLOATS: return { type: 'floats', value: [...(a.floats ?? [])] };
    case AT.STRING: return { type: 'string', value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR: return { type: 'tensor', value: tensorFromProto(a.t ?? {}) };
    default: {
      const kind = (AT[a.type ?? 0] as string | undefined)?.toLowerCase() ?? `type ${a.type}`;
      return { type: 'opaque', kind, value: onnx.AttributeProto.encode(a).finish() };
    }
  }
}

function valueInfoFromProto(v: P.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensorType;
  const shape: Dim[] = (tt?.shape?.dim ?? []).map((d, i) =>
    d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue as LongLike) : `${v.name}_d${i}`,
  );
  return { name: v.name ?? '', dtype: dtypeOf(tt?.elemType, `value ${v.name}`), shape };
}

function nodeFromProto(n: P.INodeProto, i: number): Node {
  const name = n.name || `${n.opType}_${i}`;
  const attrs: Record<string, Attr> = {};
  for (const a of n.attribute ?? []) {
    if (a.name) attrs[a.name] = attrFromProto(a);
  }
  return {
    opType: n.opType ?? '',
    domain: n.domain ?? '',
    name,
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attrs,
  };
}

/** Refused here, before anything else, rather than as a load failure deep inside ONNX Runtime. */
function checkOpset(opset: number | undefined): void {
  if (opset !== undefined && opset > MAX_OPSET) {
    throw new ModelFormatError(
      `the model declares ONNX opset ${opset}, newer than the newest neuromask supports (${MAX_OPSET}, what ONNX Runtime 1.30 runs); export it at opset ${MAX_OPSET} or lower`,
    );
  }
}

/** Decode an ONNX model file's bytes into the project's graph representation. */
export function readModel(bytes: Uint8Array, source = 'model'): Graph {
  let m: P.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ModelFormatError('not an ONNX model (protobuf decoding failed)', { source, cause });
  }
  const g = m.graph;
  if (!g || !g.node || g.node.length === 0) throw new ModelFormatError('ONNX model has no graph nodes', { source });
  try {
    const initializers = new Map<string, Tensor>();
    for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensorFromProto(t));
    const opsets: Record<string, number> = {};
    for (const o of m.opsetImport ?? []) opsets[o.domain === 'ai.onnx' ? '' : o.domain ?? ''] = num(o.version as LongLike);
    checkOpset(opsets['']);
    return {
      name: g.name ?? 'graph',
      nodes: g.node.map(nodeFromProto),
      initializers,
      // Older exporters list initializers among the inputs; they are not real inputs.
      inputs: (g.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfoFromProto),
      outputs: (g.output ?? []).map(valueInfoFromProto),
      opsets,
    };
  } catch (cause) {
    if (cause instanceof ModelFormatError && !cause.source) throw new ModelFormatError(cause.message, { source, cause });
    throw cause;
  }
}
