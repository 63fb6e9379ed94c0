import { attrInt, attrInts } from '../onnx/attrs.js';
import type { GradContext } from './types.js';

/** Sum a gradient of shape `from` down to a broadcast operand's shape `to` (NumPy rules). */
export function reduceToShape(ctx: GradContext, g: string, from: readonly number[], to: readonly number[]): string {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return g;
  const offset = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    const t = i < offset ? 1 : to[i - offset]!;
    if (i < offset || (t === 1 && from[i] !== 1)) axes.push(i);
  }
  let r = g;
  if (axes.length > 0) r = ctx.b.add('ReduceSum', [g, ctx.b.ints(axes, 'axes')], { keepdims: 1 });
  return ctx.b.add('Reshape', [r, ctx.b.ints([...to], 'shape')]);
}

export function reshapeTo(ctx: GradContext, g: string, dims: readonly number[]): string {
  return ctx.b.add('Reshape', [g, ctx.b.ints([...dims], 'shape')]);
}

export function mulScalar(ctx: GradContext, g: string, s: number): string {
  if (s === 1) return g;
  return ctx.b.add('Mul', [g, ctx.b.scalar(s)]);
}

/** gy × 1[cond] without a Cast: Where(cond, gy, 0). */
export function gate(ctx: GradContext, cond: string, gy: string): string {
  return ctx.b.add('Where', [cond, gy, ctx.b.scalar(0, 'zero')]);
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export { attrInt, attrInts };
