import { attrInt, attrInts } from '../../onnx/attrs.js';
import { attrString } from '../../onnx/attrs.js';
import { toNumbers } from '../../onnx/tensor.js';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { normAxis, reshapeTo } from '../helpers.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';
import type { Node } from '../../onnx/types.js';

registerRule(['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze'], (n, [gy], ctx) => {
  if (!gy) return [];
  return [reshapeTo(ctx, gy, ctx.shape(n.inputs[0]!))];
});

registerRule('Transpose', (n, [gy], ctx) => {
  if (!gy) return [];
  const r = ctx.shape(n.inputs[0]!).length;
  const perm = attrInts(n, 'perm') ?? [...Array(r).keys()].reverse();
  const inv = new Array<number>(r);
  perm.forEach((p, i) => (inv[p] = i));
  return [ctx.b.add('Transpose', [gy], { perm: inv })];
});

registerRule('Concat', (n, [gy], ctx) => {
  if (!gy) return [];
  const rank = ctx.shape(n.outputs[0]!).length;
  const axis = normAxis(attrInt(n, 'axis', 0), rank);
  const sizes = n.inputs.map((x) => ctx.shape(x)[axis]!);
  const parts = ctx.b.addMulti('Split', [gy, ctx.b.ints(sizes, 'split')], { axis }, sizes.length);
  return n.inputs.map((x, i) => (ctx.needsGrad(x) ? parts[i] : undefined));
});

registerRule('Split', (n, gys, ctx) => {
  const x = n.inputs[0]!;
  const rank = ctx.shape(x).length;
  const axis = normAxis(attrInt(n, 'axis', 0), rank);
  const parts = n.outputs.map((o, i) => {
    const g = gys[i];
    if (g) return g;
    return ctx.b.add('ConstantOfShape', [ctx.b.ints([...ctx.shape(o)], 'shape')], {
      value: { type: 'tensor', value: { dtype: 'float32', dims: [1], data: new Float32Array(1) } },
    });
  });
  return [ctx.b.add('Concat', parts, { axis })];
});

function constInts(ctx: GradContext, n: Node, index: number): number[] | undefined {
  const name = n.inputs[index];
  if (!name) return undefined;
  const t = ctx.constant(name);
  if (!t) throw new UnsupportedOpError(n.opType, n.name, { detail: `input ${index} must be a constant` });
  return toNumbers(t);
}

registerRule('Pad', (n, [gy], ctx) => {
  if (!gy) return [];
  if (attrString(n, 'mode', 'constant') !== 'constant') {
    throw new UnsupportedOpError('Pad', n.name, { detail: 'only constant padding is supported' });
  }
  const xs = ctx.shape(n.inputs[0]!);
  const pads = constInts(ctx, n, 1) ?? [...(attrInts(n, 'pads') ?? [])];
  if (constInts(ctx, n, 3)) throw new UnsupportedOpError('Pad', n.name, { detail: 'the axes input is not supported' });
  const r = xs.length;
  if (pads.some((p) => p < 0)) throw new UnsupportedOpError('Pad', n.name, { detail: 'negative pads are not supported' });
  const starts = pads.slice(0, r);
  const ends = starts.map((s, i) => s + xs[i]!);
  return [ctx.b.add('Slice', [gy, ctx.b.ints(starts), ctx.b.ints(ends), ctx.b.ints([...Array(r).keys()])])];
});

/**
 * Spread gy's axis `a` (count c) out to stride `step`: element i lands at i·step, zeros between.
 * Returns the new tensor and its length along `a`, cropped to at most `room`.
 */
function interleave(ctx: GradContext, g: string, dims: readonly number[], a: number, step: number, room: number): [string, number] {
  const c = dims[a]!;
  const r = dims.length + 1;
  const pads = new Array<number>(2 * r).fill(0);
  pads[r + a + 1] = step - 1;
  const spread = ctx.b.add('Pad', [ctx.b.add('Unsqueeze', [g, ctx.b.ints([a + 1])]), ctx.b.ints(pads, 'pads')]);
  const merged = reshapeTo(ctx, spread, dims.map((d, i) => (i === a ? c * step : d)));
  const len = Math.min(c * step, room);
  if (len === c * step) return [merged, len];
  return [ctx.b.add('Slice', [merged, ctx.b.ints([0]), ctx.b.ints([len]), ctx.b.ints([a])]), len];
}

registerRule('Slice', (n, [gy], ctx) => {
  if (!gy) return [];
  const xs = ctx.shape(n.inputs[0]!);
  const r = xs.length;
  const starts = constInts(ctx, n, 1) ?? [];
  const axes = (constInts(ctx, n, 3) ?? starts.map((_, i) => i)).map((a) => normAxis(a, r));
  const steps = constInts(ctx, n, 4) ?? starts.map(() => 1);
  if (steps.some((s) => s < 1)) throw new UnsupportedOpError('Slice', n.name, { detail: 'negative steps are not supported' });
  const dims = [...ctx.shape(n.outputs[0]!)];
  const pads = new Array<number>(2 * r).fill(0);
  let g = gy;
  axes.forEach((a, i) => {
    const s0 = starts[i]!;
    const begin = Math.min(Math.max(s0 < 0 ? s0 + xs[a]! : s0, 0), xs[a]!);
    if (steps[i]! > 1) [g, dims[a]] = interleave(ctx, g, dims, a, steps[i]!, xs[a]! - begin);
    pads[a] = begin;
    pads[a + r] = xs[a]! - begin - dims[a]!;
  });
  return [ctx.b.add('Pad', [g, ctx.b.ints(pads, 'pads')])];
});

/**
 * Gather with constant indices: the data gradient is a scatter-add, done as one MatMul with a
 * [d, K] count matrix (repeated indices add up) over gy viewed as [outer, K, inner].
 */
registerRule('Gather', (n, [gy], ctx) => {
  if (!gy) return [];
  const [x, idx] = n.inputs as [string, string];
  if (ctx.needsGrad(idx)) throw new UnsupportedOpError('Gather', n.name, { detail: 'indices must not depend on the input' });
  const ids = constInts(ctx, n, 1)!;
  const xs = ctx.shape(x);
  const a = normAxis(attrInt(n, 'axis', 0), xs.length);
  const d = xs[a]!;
  const counts = new Float32Array(d * ids.length);
  ids.forEach((i, k) => (counts[(i < 0 ? i + d : i) * ids.length + k]! += 1));
  const outer = xs.slice(0, a).reduce((p, v) => p * v, 1);
  const inner = xs.slice(a + 1).reduce((p, v) => p * v, 1);
  const g3 = reshapeTo(ctx, gy, [outer, ids.length, inner]);
  return [reshapeTo(ctx, ctx.b.add('MatMul', [ctx.b.floats([d, ids.length], counts, 'gather_counts'), g3]), xs), undefined];
});

// Tile: view gy as [r0, d0, r1, d1, …] and sum over the repeat axes.
registerRule('Tile', (n, [gy], ctx) => {
  if (!gy) return [];
  const xs = ctx.shape(n.inputs[0]!);
  const reps = constInts(ctx, n, 1)!;
  const split = reshapeTo(ctx, gy, xs.flatMap((d, i) => [reps[i]!, d]));
  const axes = xs.map((_, i) => 2 * i);
  return [ctx.b.add('ReduceSum', [split, ctx.b.ints(axes, 'axes')], { keepdims: 0 }), undefined];
});
