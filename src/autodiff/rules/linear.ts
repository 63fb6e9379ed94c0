import { attrFloat, attrInt } from '../../onnx/attrs.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { mulScalar, reduceToShape } from '../helpers.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';

function swapLast(ctx: GradContext, name: string): string {
  const r = ctx.shape(name).length;
  const perm = [...Array(r).keys()];
  [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
  return ctx.b.add('Transpose', [name], { perm });
}

registerRule('Gemm', (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b, c] = n.inputs as [string, string, string | undefined];
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const transA = attrInt(n, 'transA', 0) === 1;
  const transB = attrInt(n, 'transB', 0) === 1;
  const T = (x: string): string => ctx.b.add('Transpose', [x], { perm: [1, 0] });
  let ga: string | undefined;
  if (ctx.needsGrad(a)) {
    // Y = A'·B' with A' = op(A), B' = op(B): dA' = gY·B'^T.
    const g = transB ? ctx.b.add('MatMul', [gy, b]) : ctx.b.add('MatMul', [gy, T(b)]);
    ga = mulScalar(ctx, transA ? T(g) : g, alpha);
  }
  let gb: string | undefined;
  if (ctx.needsGrad(b)) {
    const g = transA ? ctx.b.add('MatMul', [a, gy]) : ctx.b.add('MatMul', [T(a), gy]);
    gb = mulScalar(ctx, transB ? T(g) : g, alpha);
  }
  const gc = c && ctx.needsGrad(c) ? reduceToShape(ctx, mulScalar(ctx, gy, beta), ctx.shape(n.outputs[0]!), ctx.shape(c)) : undefined;
  return [ga, gb, gc];
});

registerRule('MatMul', (n, [gy], ctx) => {
  if (!gy) return [];
  const [a, b] = n.inputs as [string, string];
  const y = n.outputs[0]!;
  if (ctx.shape(a).length < 2 || ctx.shape(b).length < 2) {
    throw new UnsupportedOpError('MatMul', n.name, { detail: '1-D operands are not supported' });
  }
  return [
    ctx.needsGrad(a) ? reduceToShape(ctx, ctx.b.add('MatMul', [gy, swapLast(ctx, b)]), ctx.shape(y).slice(0, -2).concat(ctx.shape(a).slice(-2)), ctx.shape(a)) : undefined,
    ctx.needsGrad(b) ? reduceToShape(ctx, ctx.b.add('MatMul', [swapLast(ctx, a), gy]), ctx.shape(y).slice(0, -2).concat(ctx.shape(b).slice(-2)), ctx.shape(b)) : undefined,
  ];
});
