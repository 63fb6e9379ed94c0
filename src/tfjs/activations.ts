import { float } from '../onnx/builder.js';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import type { ImportContext, Value } from './context.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/** Keras / TF activation names (lower-cased) → ONNX ops. Softmax is over the last TF axis. */
export function activation(ctx: ImportContext, v: Value, kind: string, where: string, opts: { alpha?: number } = {}): Value {
  const b = ctx.b;
  const one = (op: string, attrs: Record<string, ReturnType<typeof float> | number> = {}): Value => ({ name: b.add(op, [v.name], attrs), rank: v.rank });
  switch (kind.toLowerCase()) {
    case 'linear':
    case 'identity':
      return v;
    case 'relu':
      return one('Relu');
    case 'relu6':
      return { name: b.add('Clip', [v.name, b.scalar(0), b.scalar(6)]), rank: v.rank };
    case 'sigmoid':
      return one('Sigmoid');
    case 'tanh':
      return one('Tanh');
    case 'elu':
      return one('Elu', { alpha: float(opts.alpha ?? 1) });
    case 'selu':
      return one('Selu', { alpha: float(SELU_ALPHA), gamma: float(SELU_GAMMA) });
    case 'leakyrelu':
      return one('LeakyRelu', { alpha: float(opts.alpha ?? 0.2) });
    case 'softplus':
      return one('Softplus');
    case 'swish':
    case 'silu':
      return { name: b.add('Mul', [v.name, b.add('Sigmoid', [v.name])]), rank: v.rank };
    case 'hard_sigmoid':
    case 'hardsigmoid':
      // Keras 2 / TF.js: clip(0.2·x + 0.5, 0, 1), which is ONNX's default.
      return one('HardSigmoid', { alpha: float(0.2), beta: float(0.5) });
    case 'softmax':
      return { name: b.add('Softmax', [v.name], { axis: v.rank === 4 ? 1 : -1 }), rank: v.rank };
    default:
      throw new UnsupportedOpError(`activation '${kind}'`, where, { detail: 'supported: linear, relu, relu6, sigmoid, tanh, elu, selu, leakyrelu, softplus, swish/silu, hard_sigmoid, softmax' });
  }
}
