import { codeOfDtype } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { reduceToShape } from '../helpers.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';

function toOperand(ctx: GradContext, g: string, y: string, operand: string): string {
  return reduceToShape(ctx, g, ctx.shape(y), ctx.shape(operand));
}

registerRule(['Add', 'Sub'], (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b] = n.inputs as [string, string];
  const y = n.outputs[0]!;
  const ga = ctx.needsGrad(a) ? toOperand(ctx, gy, y, a) : undefined;
  let gb: string | undefined;
  if (ctx.needsGrad(b)) {
    const g = n.opType === 'Sub' ? ctx.b.add('Neg', [gy]) : gy;
    gb = toOperand(ctx, g, y, b);
  }
  return [ga, gb];
});

registerRule('Mul', (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b] = n.inputs as [string, string];
  const y = n.outputs[0]!;
  return [
    ctx.needsGrad(a) ? toOperand(ctx, ctx.b.add('Mul', [gy, b]), y, a) : undefined,
    ctx.needsGrad(b) ? toOperand(ctx, ctx.b.add('Mul', [gy, a]), y, b) : undefined,
  ];
});

registerRule('Div', (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b] = n.inputs as [string, string];
  const y = n.outputs[0]!;
  const ga = ctx.needsGrad(a) ? toOperand(ctx, ctx.b.add('Div', [gy, b]), y, a) : undefined;
  let gb: string | undefined;
  if (ctx.needsGrad(b)) {
    // d(a/b)/db = -y/b
    const g = ctx.b.add('Neg', [ctx.b.add('Div', [ctx.b.add('Mul', [gy, y]), b])]);
    gb = toOperand(ctx, g, y, b);
  }
  return [ga, gb];
});

registerRule('Pow', (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b] = n.inputs as [string, string];
  const e = ctx.constant(b);
  if (!e || ctx.needsGrad(b)) throw new UnsupportedOpError('Pow', n.name, { detail: 'only constant exponents are supported' });
  const p = toNumbers(e);
  if (p.length !== 1) throw new UnsupportedOpError('Pow', n.name, { detail: 'only scalar exponents are supported' });
  const k = p[0]!;
  const d = k === 2 ? ctx.b.add('Mul', [a, ctx.b.scalar(2)]) : ctx.b.add('Mul', [ctx.b.add('Pow', [a, ctx.b.scalar(k - 1)]), ctx.b.scalar(k)]);
  return [toOperand(ctx, ctx.b.add('Mul', [gy, d]), n.outputs[0]!, a), undefined];
});

registerRule('Sum', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  return n.inputs.map((x) => (ctx.needsGrad(x) ? toOperand(ctx, gy, y, x) : undefined));
});

registerRule('Where', (n, [gy], ctx) => {
  if (!gy) return [];
  const [c, a, b] = n.inputs as [string, string, string];
  const y = n.outputs[0]!;
  const zero = ctx.b.scalar(0, 'zero');
  return [
    undefined,
    ctx.needsGrad(a) ? toOperand(ctx, ctx.b.add('Where', [c, gy, zero]), y, a) : undefined,
    ctx.needsGrad(b) ? toOperand(ctx, ctx.b.add('Where', [c, zero, gy]), y, b) : undefined,
  ];
});

registerRule('Mean', (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const g = ctx.b.add('Mul', [gy, ctx.b.scalar(1 / n.inputs.length)]);
  return n.inputs.map((x) => (ctx.needsGrad(x) ? toOperand(ctx, g, y, x) : undefined));
});

// Max/Min: the gradient goes to the inputs equal to the result; ties share it equally (a
// subgradient, as for GlobalMaxPool), so Max(x, x) still differentiates to 1.
registerRule(['Max', 'Min'], (n, [gy], ctx) => {
  if (!gy) return [];
  const y = n.outputs[0]!;
  const hits = n.inputs.map((x) => ctx.b.add('Cast', [ctx.b.add('Equal', [x, y])], { to: 1 }));
  const share = ctx.b.add('Div', [gy, hits.length > 1 ? ctx.b.add('Sum', hits) : hits[0]!]);
  return n.inputs.map((x, i) => (ctx.needsGrad(x) ? toOperand(ctx, ctx.b.add('Mul', [share, hits[i]!]), y, x) : undefined));
});

registerRule('Expand', (n, [gy], ctx) => [gy && ctx.needsGrad(n.inputs[0]!) ? toOperand(ctx, gy, n.outputs[0]!, n.inputs[0]!) : undefined]);

// Cast between float types is the identity for gradients; a cast to an integer type has none.
registerRule('Cast', (n, [gy], ctx) => {
  const [from, to] = [ctx.dtype(n.inputs[0]!), ctx.dtype(n.outputs[0]!)];
  const floats = ['float32', 'float64'];
  if (!gy || !floats.includes(from) || !floats.includes(to)) return [];
  return [from === to ? gy : ctx.b.add('Cast', [gy], { to: codeOfDtype(from) })];
});
