import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float, type GraphBuilder } from '../src/onnx/builder.js';
import { gradCheck, unary, w, type Case } from './helpers/grad-check.js';

// Rules for the op patterns of wider classifier families (torchvision exports, TF.js imports).

const bn = (b: GraphBuilder, x: string, c: number, seed: number): string =>
  b.add('BatchNormalization', [x, w(b, [c], seed), w(b, [c], seed + 1), w(b, [c], seed + 2), b.floats([c], Array.from({ length: c }, (_, i) => 0.5 + i))], { epsilon: float(1e-3) });

const resize = (attrs: Record<string, string>, scales: number[] | undefined, sizes?: number[]) => (b: GraphBuilder, x: string): string =>
  b.add('Resize', [x, '', scales ? b.floats([4], scales) : '', ...(sizes ? [b.ints(sizes)] : [])], attrs);

const cases: Case[] = [
  { name: 'Elu', graph: unary((b, x) => b.add('Elu', [x], { alpha: float(0.7) })) },
  { name: 'Selu', graph: unary((b, x) => b.add('Selu', [x])) },
  { name: 'Softplus', graph: unary((b, x) => b.add('Softplus', [b.add('Mul', [x, b.scalar(3)])])) },
  { name: 'Max with a broadcast constant', graph: unary((b, x) => b.add('Max', [x, w(b, [1, 3, 1, 1], 1)])) },
  { name: 'Min of three, two depending on x', graph: unary((b, x) => b.add('Min', [x, b.add('Mul', [b.add('Sigmoid', [x]), b.scalar(2)]), w(b, [6], 2)])) },
  { name: 'Max(x, x) ties share the gradient', graph: unary((b, x) => b.add('Max', [x, x])) },
  { name: 'Mean broadcast', graph: unary((b, x) => b.add('Mean', [x, b.add('Tanh', [x]), w(b, [3, 1, 1], 3)])) },
  { name: 'ReduceMax over H,W keepdims 0', graph: unary((b, x) => b.add('ReduceMax', [x], { axes: [2, 3], keepdims: 0 })) },
  { name: 'ReduceMin over C keepdims 1', graph: unary((b, x) => b.add('ReduceMin', [x], { axes: [1], keepdims: 1 })) },
  { name: 'Gather scalar index (class token)', graph: unary((b, x) => b.add('Gather', [x, b.constant({ dtype: 'int64', dims: [], data: BigInt64Array.from([1n]) })], { axis: 2 })) },
  { name: 'Gather repeated and negative indices', graph: unary((b, x) => b.add('Gather', [x, b.ints([2, -1, 2, 0])], { axis: 3 })) },
  { name: 'Gather axis 0 with 2-D indices', graph: unary((b, x) => b.add('Gather', [x, b.constant({ dtype: 'int64', dims: [2, 2], data: BigInt64Array.from([1n, 0n, 1n, 1n]) })], { axis: 0 })) },
  { name: 'Slice step 2 on two axes (Swin patch merging)', graph: unary((b, x) => b.add('Slice', [x, b.ints([1, 0]), b.ints([6, 6]), b.ints([2, 3]), b.ints([2, 2])])) },
  { name: 'Slice step 3 whose last window overhangs', graph: unary((b, x) => b.add('Slice', [x, b.ints([-5]), b.ints([7]), b.ints([-1]), b.ints([3])]), [2, 3, 4, 7]) },
  { name: 'Expand [2,3,1,6] → [2,3,4,6]', graph: unary((b, x) => b.add('Expand', [x, b.ints([2, 3, 4, 6])]), [2, 3, 1, 6]) },
  { name: 'Expand adding a leading axis', graph: unary((b, x) => b.add('Expand', [x, b.ints([2, 1, 3, 1, 1])]), [3, 1, 5]) },
  { name: 'Tile', graph: unary((b, x) => b.add('Tile', [x, b.ints([1, 2, 1, 3])]), [2, 3, 4, 2]) },
  { name: 'Cast float→float and float→double→float', graph: unary((b, x) => b.add('Cast', [b.add('Mul', [b.add('Cast', [x], { to: 11 }), b.add('Cast', [b.add('Cast', [x], { to: 1 })], { to: 11 })])], { to: 1 })) },
  { name: 'BatchNormalization after Relu (not folded)', graph: unary((b, x) => bn(b, b.add('Relu', [x]), 3, 4)) },
  { name: 'BatchNormalization on [N, C]', graph: unary((b, x) => bn(b, x, 5, 8), [4, 5]) },
  { name: 'LayerNormalization last axis (ConvNeXt NHWC)', graph: unary((b, x) => b.add('LayerNormalization', [b.add('Transpose', [x], { perm: [0, 2, 3, 1] }), w(b, [3], 9), w(b, [3], 10)], { epsilon: float(1e-6) })) },
  { name: 'LayerNormalization over C,H,W, no bias', graph: unary((b, x) => b.add('LayerNormalization', [x, w(b, [3, 6, 6], 11)], { axis: 1 })) },
  { name: 'Flatten axis 2', graph: unary((b, x) => b.add('Tanh', [b.add('Flatten', [x], { axis: 2 })])) },
  { name: 'Flatten axis 0', graph: unary((b, x) => b.add('Tanh', [b.add('Flatten', [x], { axis: 0 })])) },
  { name: 'Resize nearest ×2 asymmetric floor (Upsample)', graph: unary(resize({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, [1, 1, 2, 2])) },
  { name: 'Resize nearest ×3 half_pixel round_prefer_floor', graph: unary(resize({ mode: 'nearest' }, [1, 1, 3, 3]), [1, 2, 3, 4]) },
  { name: 'Resize nearest down by sizes, round_prefer_ceil', graph: unary(resize({ mode: 'nearest', nearest_mode: 'round_prefer_ceil' }, undefined, [2, 3, 4, 3])) },
  { name: 'Resize linear ×2 half_pixel', graph: unary(resize({ mode: 'linear' }, [1, 1, 2, 2])) },
  { name: 'Resize linear align_corners by sizes', graph: unary(resize({ mode: 'linear', coordinate_transformation_mode: 'align_corners' }, undefined, [2, 3, 9, 5])) },
  { name: 'Resize linear pytorch_half_pixel ×1.5, height only', graph: unary(resize({ mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, [1, 1, 1.5, 1])) },
  { name: 'Resize linear asymmetric down ×0.5', graph: unary(resize({ mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, [1, 1, 0.5, 0.5])) },
  // A sort is piecewise linear: values 1 apart (a shuffled ramp) plus 0.1·x never swap places under
  // the finite-difference steps (h 0.5: the loss is O(100), float32 needs a wide step), so the
  // check stays on one linear piece.
  { name: 'TopK all, ascending (a sort: extremal perturbation ranks its mask)', graph: unary((b, x) => b.add('TopK', [b.add('Add', [b.add('Mul', [b.add('Reshape', [x, b.ints([2, 108])]), b.scalar(0.1)]), b.floats([2, 108], Array.from({ length: 216 }, (_, i) => (i * 37) % 108))]), b.ints([108])], { axis: 1, largest: 0 }), [2, 3, 6, 6]), h: 0.5 },
  { name: 'TopK 4 largest along H', graph: unary((b, x) => b.add('Tanh', [b.add('TopK', [x, b.ints([4])], { axis: 2 })])) },
  // Family patterns, each as its exporters write it.
  {
    name: 'squeeze-excitation (GlobalAveragePool→Conv→Relu→Conv→HardSigmoid→Mul)',
    graph: unary((b, x) => {
      const s = b.add('GlobalAveragePool', [x]);
      const e = b.add('Conv', [b.add('Relu', [b.add('Conv', [s, w(b, [2, 3, 1, 1], 12), w(b, [2], 13)])]), w(b, [3, 2, 1, 1], 14), w(b, [3], 15)]);
      return b.add('Mul', [x, b.add('HardSigmoid', [e], { alpha: float(1 / 6), beta: float(0.5) })]);
    }),
  },
  { name: 'SiLU x·sigmoid(x) with SE via ReduceMean', graph: unary((b, x) => { const s = b.add('Mul', [x, b.add('Sigmoid', [x])]); return b.add('Mul', [s, b.add('Sigmoid', [b.add('ReduceMean', [s], { axes: [2, 3], keepdims: 1 })])]); }) },
  { name: 'GELU via Erf', graph: unary((b, x) => b.add('Mul', [b.add('Mul', [x, b.scalar(0.5)]), b.add('Add', [b.add('Erf', [b.add('Div', [x, b.scalar(Math.SQRT2)])]), b.scalar(1)])])) },
  { name: 'channel shuffle (Reshape→Transpose→Reshape) then Split', graph: unary((b, x) => b.addMulti('Split', [b.add('Reshape', [b.add('Transpose', [b.add('Reshape', [x, b.ints([2, 2, 2, 6, 6])])], { perm: [0, 2, 1, 3, 4] }), b.ints([2, -1, 6, 6])]), b.ints([1, 3])], { axis: 1 }, 2)[1]!, [2, 4, 6, 6]) },
];

describe('gradient rules for wider model families, against central finite differences', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await gradCheck(c.graph(), c.h ? { h: c.h } : {});
      assert.ok(r.maxRelError < (c.tol ?? 2e-2), `relative error ${r.maxRelError}: analytic ${r.analytic} numeric ${r.numeric}`);
    });
  }
});
