import { GraphBuilder } from '../../src/onnx/builder.js';
import { onnx } from '../../src/onnx/proto.js';
import { int64Tensor, tensor } from '../../src/onnx/tensor.js';
import type { Graph } from '../../src/onnx/types.js';

const T = onnx.TensorProto.DataType;
const scalarInfo = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [] } } } });

/**
 * [N,3,8,8] → pool → [N,3] → Loop (twice: v ← v·0.5) → Gemm → [N,2]. The Loop's `body` is a
 * graph-typed attribute, as exporters write it for a Python loop over tensors; it reads the
 * outer initializer `half`.
 */
export function loopClassifier(): Graph {
  const body = {
    name: 'halve',
    node: [
      { opType: 'Identity', input: ['cond_in'], output: ['cond_out'], name: 'keep_going' },
      // Reads `half` from the outer graph, as exporters' loop bodies do with captured tensors.
      { opType: 'Mul', input: ['v_in', 'half'], output: ['v_out'], name: 'halve' },
    ],
    input: [scalarInfo('iter', T.INT64), scalarInfo('cond_in', T.BOOL), { name: 'v_in', type: { tensorType: { elemType: T.FLOAT } } }],
    output: [scalarInfo('cond_out', T.BOOL), { name: 'v_out', type: { tensorType: { elemType: T.FLOAT } } }],
  };
  const bodyAttr = onnx.AttributeProto.encode({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }).finish();
  const b = new GraphBuilder();
  const x = b.input('input', 'float32', ['N', 3, 8, 8]);
  const v = b.add('Flatten', [b.add('GlobalAveragePool', [x])]);
  const trips = b.constant(int64Tensor([], [2]), 'trips');
  b.initializers.set('half', tensor('float32', [], Float32Array.from([0.5])));
  const cond = b.constant(tensor('bool', [], Uint8Array.from([1])), 'cond');
  const looped = b.add('Loop', [trips, cond, v], { body: { type: 'opaque', kind: 'graph', value: bodyAttr } });
  b.push('Gemm', [looped, b.floats([2, 3], [1, 0, 0, 0, 1, 0], 'w')], ['logits'], { transB: 1 });
  b.output('logits', 'float32', ['N', 2]);
  return b.build('loop');
}
