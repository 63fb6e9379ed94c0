import { attrFloat, attrInt } from '../../onnx/attrs.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { normAxis, reshapeTo } from '../helpers.js';
import { registerRule } from '../registry.js';

// Inference BatchNormalization that folding left in place (e.g. DenseNet's BN → ReLU → Conv) is a
// per-channel affine map: dy/dx = scale / sqrt(var + eps), as a [C, 1, …] factor.
registerRule('BatchNormalization', (n, [gy], ctx) => {
  if (!gy) return [];
  if (attrInt(n, 'training_mode', 0) === 1) throw new UnsupportedOpError('BatchNormalization', n.name, { detail: 'training_mode=1' });
  const [x, scale, , , variance] = n.inputs as [string, string, string, string, string];
  const xs = ctx.shape(x);
  const k = ctx.b.add('Div', [scale, ctx.b.add('Sqrt', [ctx.b.add('Add', [variance, ctx.b.scalar(attrFloat(n, 'epsilon', 1e-5))])])]);
  const perChannel = reshapeTo(ctx, k, [xs[1]!, ...xs.slice(2).map(() => 1)]);
  return [ctx.b.add('Mul', [gy, perChannel])];
});

/**
 * LayerNormalization over axes [axis, rank): with x̂ = (x − μ)·r and g = gy·scale,
 * dx = r·(g − mean(g) − x̂·mean(g·x̂)). μ and r come from the node's own Mean and InvStdDev outputs.
 */
registerRule('LayerNormalization', (n, [gy], ctx) => {
  if (!gy) return [];
  const [x, scale] = n.inputs as [string, string];
  const rank = ctx.shape(x).length;
  const axes = [...Array(rank).keys()].slice(normAxis(attrInt(n, 'axis', -1), rank));
  const mean = (t: string): string => ctx.b.add('ReduceMean', [t], { axes, keepdims: 1 });
  const mu = ctx.extraOutput(n, 1);
  const r = ctx.extraOutput(n, 2);
  const xhat = ctx.b.add('Mul', [ctx.b.add('Sub', [x, mu]), r]);
  const g = ctx.b.add('Mul', [gy, scale]);
  const centred = ctx.b.add('Sub', [g, mean(g)]);
  const along = ctx.b.add('Mul', [xhat, mean(ctx.b.add('Mul', [g, xhat]))]);
  return [ctx.b.add('Mul', [r, ctx.b.add('Sub', [centred, along])])];
});
