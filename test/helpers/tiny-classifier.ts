import { GraphBuilder } from '../../src/onnx/builder.js';
import type { Classifier } from '../../src/models/classifier.js';
import { PreprocessSpecSchema } from '../../src/models/spec.js';
import { randn } from '../../src/util/random.js';

/** A small random conv net on 16×16 RGB, [N,3,16,16] → [N,4] logits, with a batch-symbolic input. */
export function tinyClassifier(seed = 3): Classifier {
  const b = new GraphBuilder();
  const x = b.input('input', 'float32', ['N', 3, 16, 16]);
  const w1 = b.floats([6, 3, 3, 3], randn(162, seed, 0.4), 'w1');
  const h1 = b.add('Relu', [b.add('Conv', [x, w1, b.floats([6], randn(6, seed + 1, 0.1))], { pads: [1, 1, 1, 1], strides: [2, 2] })]);
  const h2 = b.add('GlobalAveragePool', [b.add('Clip', [b.add('Conv', [h1, b.floats([8, 6, 3, 3], randn(432, seed + 2, 0.3))], { pads: [1, 1, 1, 1] }), b.scalar(0), b.scalar(6)])]);
  const logits = b.add('Gemm', [b.add('Flatten', [h2]), b.floats([4, 8], randn(32, seed + 3, 1.0)), b.floats([4], [0.1, -0.1, 0.2, 0])], { transB: 1 });
  b.push('Identity', [logits], ['logits']);
  b.output('logits', 'float32', ['N', 4]);
  return {
    name: 'tiny',
    source: '<memory>',
    graph: b.build('tiny'),
    inputName: 'input',
    outputName: 'logits',
    outputKind: 'logits', format: 'onnx', strippedSoftmax: false,
    spec: PreprocessSpecSchema.parse({ inputSize: [16, 16], resize: 'stretch', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }),
    labels: ['zero', 'one', 'two', 'three'],
    numClasses: 4,
  };
}
