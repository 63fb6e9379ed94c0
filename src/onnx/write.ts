import { conformToOpset } from './opset-form.js';
import { onnx, type P } from './proto.js';
import type { Attr, DType, Graph, Tensor, ValueInfo } from './types.js';

const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

const PROTO_OF_DTYPE: Readonly<Record<DType, number>> = {
  float32: DT.FLOAT,
  float64: DT.DOUBLE,
  int64: DT.INT64,
  int32: DT.INT32,
  int8: DT.INT8,
  uint8: DT.UINT8,
  bool: DT.BOOL,
};

export function tensorToProto(t: Tensor, name = ''): P.ITensorProto {
  const d = t.data;
  return {
    name,
    dataType: PROTO_OF_DTYPE[t.dtype],
    dims: [...t.dims],
    rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

function attrToProto(name: string, a: Attr): P.IAttributeProto {
  switch (a.type) {
    case 'int': return { name, type: AT.INT, i: a.value };
    case 'float': return { name, type: AT.FLOAT, f: a.value };
    case 'ints': return { name, type: AT.INTS, ints: [...a.value] };
    case 'floats': return { name, type: AT.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: AT.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: AT.TENSOR, t: tensorToProto(a.value) };
    case 'opaque': return { ...onnx.AttributeProto.decode(a.value), name };
  }
}

function valueInfoToProto(v: ValueInfo): P.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: PROTO_OF_DTYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Encode a graph as ONNX model bytes (IR 8), ready for ONNX Runtime, every node in the form its
 * declared opset requires (nodes built with attribute-form axes are converted here).
 */
export function writeModel(graph: Graph): Uint8Array {
  const g = conformToOpset(graph);
  const model: P.IModelProto = {
    irVersion: 8,
    producerName: 'neuromask',
    opsetImport: Object.entries(g.opsets).map(([domain, version]) => ({ domain, version })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        opType: n.opType,
        domain: n.domain,
        name: n.name,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs).map(([k, a]) => attrToProto(k, a)),
      })),
      initializer: [...g.initializers].map(([name, t]) => tensorToProto(t, name)),
      input: g.inputs.map(valueInfoToProto),
      output: g.outputs.map(valueInfoToProto),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
