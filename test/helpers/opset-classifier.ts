import { GraphBuilder } from '../../src/onnx/builder.js';
import type { Graph } from '../../src/onnx/types.js';
import { randn } from '../../src/util/random.js';

/**
 * A small conv net declared at ai.onnx `opset`, written the way an exporter for that opset
 * writes it: ReduceMean takes its axes as an attribute before 18 and as an input from 18,
 * Squeeze's axes an input (opset 13 and later). [N,3,12,12] → [N,3] logits.
 */
export function opsetGraph(opset: number, seed = 5): Graph {
  const b = new GraphBuilder();
  b.opsets[''] = opset;
  const x = b.input('input', 'float32', ['N', 3, 12, 12]);
  const h1 = b.add('Relu', [b.add('Conv', [x, b.floats([4, 3, 3, 3], randn(108, seed, 0.4), 'w1'), b.floats([4], randn(4, seed + 1, 0.1), 'b1')], { pads: [1, 1, 1, 1], strides: [2, 2] })]);
  const pooled = opset >= 18
    ? b.add('ReduceMean', [h1, b.ints([2, 3], 'pool_axes')], { keepdims: 1 })
    : b.add('ReduceMean', [h1], { axes: [2, 3], keepdims: 1 });
  const flat = b.add('Squeeze', [pooled, b.ints([2, 3], 'squeeze_axes')]);
  const logits = b.add('Gemm', [flat, b.floats([3, 4], randn(12, seed + 2, 1.5), 'wfc'), b.floats([3], [0.2, -0.1, 0], 'bfc')], { transB: 1 });
  b.push('Identity', [logits], ['logits']);
  b.output('logits', 'float32', ['N', 3]);
  return b.build(`opset${opset}`);
}
