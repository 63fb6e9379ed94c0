import { attrFloat } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import type { Node } from '../../onnx/types.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { gate, mulScalar } from '../helpers.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';

// Masks are built from each activation's *output*, so the forward Conv+Relu/Clip pair stays
// intact and ONNX Runtime still fuses it.

registerRule('Relu', (n, [gy], ctx) => {
  if (!gy) return [];
  return [gate(ctx, ctx.b.add('Greater', [n.outputs[0]!, ctx.b.scalar(0, 'zero')]), gy)];
});

function clipBound(n: Node, ctx: GradContext, index: number, attr: string): number | undefined {
  const name = n.inputs[index];
  if (name) {
    const t = ctx.constant(name);
    if (!t) throw new UnsupportedOpError('Clip', n.name, { detail: 'clip bounds must be constants' });
    return toNumbers(t)[0];
  }
  const a = n.attrs[attr];
  return a && a.type === 'float' ? a.value : undefined;
}

registerRule('Clip', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const lo = clipBound(n, ctx, 1, 'min');
  const hi = clipBound(n, ctx, 2, 'max');
  let cond: string | undefined;
  if (lo !== undefined && hi !== undefined && Math.abs(lo) < 1e6 && Math.abs(hi) < 1e6) {
    // lo < y < hi as one comparison: |y - centre| < half-width (exact in float32 for moderate bounds;
    // with a bound like -3.4e38 the centre swallows y, so such clips take the two-comparison path).
    const centred = ctx.b.add('Abs', [ctx.b.add('Sub', [y, ctx.b.scalar((lo + hi) / 2)])]);
    cond = ctx.b.add('Less', [centred, ctx.b.scalar((hi - lo) / 2)]);
  } else if (lo !== undefined && hi !== undefined) {
    cond = ctx.b.add('And', [ctx.b.add('Greater', [y, ctx.b.scalar(lo)]), ctx.b.add('Less', [y, ctx.b.scalar(hi)])]);
  } else if (lo !== undefined) {
    cond = ctx.b.add('Greater', [y, ctx.b.scalar(lo)]);
  } else if (hi !== undefined) {
    cond = ctx.b.add('Less', [y, ctx.b.scalar(hi)]);
  }
  return [cond ? gate(ctx, cond, gy) : gy];
});

registerRule('LeakyRelu', (n, [gy], ctx) => {
  if (!gy) return [];
  const alpha = attrFloat(n, 'alpha', 0.01);
  const pos = ctx.b.add('Greater', [n.outputs[0]!, ctx.b.scalar(0, 'zero')]);
  return [ctx.b.add('Where', [pos, gy, mulScalar(ctx, gy, alpha)])];
});

registerRule('Sigmoid', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const dy = ctx.b.add('Mul', [y, ctx.b.add('Sub', [ctx.b.scalar(1, 'one'), y])]);
  return [ctx.b.add('Mul', [gy, dy])];
});

registerRule('Tanh', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const dy = ctx.b.add('Sub', [ctx.b.scalar(1, 'one'), ctx.b.add('Mul', [y, y])]);
  return [ctx.b.add('Mul', [gy, dy])];
});

registerRule('HardSigmoid', (n, [gy], ctx) => {
  if (!gy) return [];
  const alpha = attrFloat(n, 'alpha', 0.2);
  const y = n.outputs[0]!;
  const centred = ctx.b.add('Abs', [ctx.b.add('Sub', [y, ctx.b.scalar(0.5)])]);
  return [mulScalar(ctx, gate(ctx, ctx.b.add('Less', [centred, ctx.b.scalar(0.5)]), gy), alpha)];
});

registerRule('HardSwish', (n, [gy], ctx) => {
  if (!gy) return [];
  // y = x·clip(x/6 + 1/2, 0, 1): dy/dx = 0 (x < -3), (2x + 3)/6 (|x| <= 3), 1 (x > 3).
  const x = n.inputs[0]!;
  const mid = ctx.b.add('Add', [ctx.b.add('Mul', [x, ctx.b.scalar(1 / 3)]), ctx.b.scalar(0.5)]);
  const slope = ctx.b.add('Clip', [mid, ctx.b.scalar(0, 'zero'), ctx.b.scalar(1, 'one')]);
  const inside = ctx.b.add('Less', [ctx.b.add('Abs', [x]), ctx.b.scalar(3)]);
  const d = ctx.b.add('Where', [inside, mid, slope]);
  return [ctx.b.add('Mul', [gy, d])];
});

registerRule(['Identity', 'Dropout'], (_n, [gy]) => [gy]);

registerRule('Neg', (_n, [gy], ctx) => [gy ? ctx.b.add('Neg', [gy]) : undefined]);

registerRule('Abs', (n, [gy], ctx) => [gy ? ctx.b.add('Mul', [gy, ctx.b.add('Sign', [n.inputs[0]!])]) : undefined]);

registerRule('Exp', (n, [gy], ctx) => [gy ? ctx.b.add('Mul', [gy, n.outputs[0]!]) : undefined]);

registerRule('Log', (n, [gy], ctx) => [gy ? ctx.b.add('Div', [gy, n.inputs[0]!]) : undefined]);

registerRule('Sqrt', (n, [gy], ctx) => [
  gy ? ctx.b.add('Div', [mulScalar(ctx, gy, 0.5), n.outputs[0]!]) : undefined,
]);

registerRule('Erf', (n, [gy], ctx) => {
  if (!gy) return [];
  const x = n.inputs[0]!;
  const e = ctx.b.add('Exp', [ctx.b.add('Neg', [ctx.b.add('Mul', [x, x])])]);
  return [ctx.b.add('Mul', [gy, mulScalar(ctx, e, 2 / Math.sqrt(Math.PI))])];
});

// Elu/Selu: for x ≤ 0, y = γ·α(eˣ − 1), so dy/dx = y + γ·α; for x > 0 it is γ (γ = 1 for Elu).
function eluLike(gammaOf: (n: Node) => number, alphaDefault: number) {
  return (n: Node, [gy]: readonly (string | undefined)[], ctx: GradContext): (string | undefined)[] => {
    if (!gy) return [];
    const gamma = gammaOf(n);
    const alpha = attrFloat(n, 'alpha', alphaDefault);
    const pos = ctx.b.add('Greater', [n.inputs[0]!, ctx.b.scalar(0, 'zero')]);
    const neg = ctx.b.add('Mul', [gy, ctx.b.add('Add', [n.outputs[0]!, ctx.b.scalar(gamma * alpha)])]);
    return [ctx.b.add('Where', [pos, mulScalar(ctx, gy, gamma), neg])];
  };
}

registerRule('Elu', eluLike(() => 1, 1));
registerRule('Selu', eluLike((n) => attrFloat(n, 'gamma', 1.05070102214813232421875), 1.67326319217681884765625));

// Softplus y = log(1 + eˣ): dy/dx = sigmoid(x).
registerRule('Softplus', (n, [gy], ctx) => [gy ? ctx.b.add('Mul', [gy, ctx.b.add('Sigmoid', [n.inputs[0]!])]) : undefined]);
