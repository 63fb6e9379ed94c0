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
