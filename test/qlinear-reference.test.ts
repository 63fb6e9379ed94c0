// The integer reference that onnx-dequantize.test.ts checks the dequantized graph against, checked
// itself: ONNX's own conformance cases, and small cases worked by hand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { qlinearAdd, qlinearConv, qlinearGlobalAveragePool, qlinearMatMul, roundHalfEven, type ConvAttrs, type QOut } from './helpers/qlinear.js';

const f = Math.fround; // ONNX scales are float32
const U8 = [0, 255] as const;
const plain: ConvAttrs = { group: 1, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1] };

describe('integer QLinear reference', () => {
  it('rounds half to even, as ONNX does', () => {
    assert.deepEqual([2.5, 3.5, -2.5, -3.5, 2.4999, 2.5001, -0.5].map(roundHalfEven), [2, 4, -2, -4, 2, 3, 0]);
  });

  it('QLinearConv: ONNX\'s test_qlinearconv (onnx/backend/test/case/node/qlinearconv.py)', () => {
    const x = [255, 174, 162, 25, 203, 168, 58, 15, 59, 237, 95, 129, 0, 64, 56, 242, 153, 221, 168, 12, 166, 232, 178, 186, 195, 237, 162, 237,
      188, 39, 124, 77, 80, 102, 43, 127, 230, 21, 83, 41, 40, 134, 255, 154, 92, 141, 42, 148, 247];
    const want = [0, 81, 93, 230, 52, 87, 197, 240, 196, 18, 160, 126, 255, 191, 199, 13, 102, 34, 87, 243, 89, 23, 77, 69, 60, 18, 93, 18,
      67, 216, 131, 178, 175, 153, 212, 128, 25, 234, 172, 214, 215, 121, 0, 101, 163, 114, 213, 107, 8];
    const y = qlinearConv(
      { q: x, dims: [1, 1, 7, 7], scale: [f(0.00369204697)], zeroPoint: [132] },
      { q: [0], dims: [1, 1, 1, 1], scale: [f(0.00172794575)], zeroPoint: [255] },
      undefined, plain, { scale: f(0.00162681262), zeroPoint: 123, range: U8 });
    assert.deepEqual([...y.q], want);
    assert.deepEqual(y.dims, [1, 1, 7, 7]);
  });

  it('QLinearMatMul: ONNX\'s test_qlinearmatmul_2D', () => {
    const y = qlinearMatMul(
      { q: [208, 236, 0, 238, 3, 214, 255, 29], dims: [2, 4], scale: [f(0.0066)], zeroPoint: [113] },
      { q: [152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247], dims: [4, 3], scale: [f(0.00705)], zeroPoint: [114] },
      { scale: f(0.0107), zeroPoint: 118, range: U8 });
    assert.deepEqual([...y.q], [168, 115, 255, 1, 66, 151]);
  });

  it('QLinearConv by hand: padding holds the zero point, stride, bias, per-channel groups, half-to-even', () => {
    // x = [[1, 2], [3, 4]] stored with zero point 10; w = [[1, 0], [0, 1]]; pads 1: y = x[i-1][j-1] + x[i][j].
    const x = { q: [11, 12, 13, 14], dims: [1, 1, 2, 2], scale: [1], zeroPoint: [10] };
    const w = { q: [1, 0, 0, 1], dims: [1, 1, 2, 2], scale: [1], zeroPoint: [0] };
    const padded: ConvAttrs = { ...plain, pads: [1, 1, 1, 1] };
    const unit: QOut = { scale: 1, zeroPoint: 0, range: [-128, 127] };
    assert.deepEqual([...qlinearConv(x, w, undefined, padded, unit).q], [1, 2, 0, 3, 5, 2, 0, 3, 4]);
    assert.deepEqual([...qlinearConv(x, w, [3], { ...padded, strides: [2, 2] }, unit).q], [4, 3, 3, 7]);
    // y_scale 2: 1/2, 5/2 and 3/2 are ties, rounded to 0, 2 and 2.
    assert.deepEqual([...qlinearConv(x, w, undefined, padded, { ...unit, scale: 2 }).q], [0, 1, 0, 2, 2, 1, 0, 2, 2]);
    // Two groups, per-channel weight scale and zero point: [3·(2-0)·1, 5·(3-1)·0.5].
    const g = qlinearConv({ q: [3, 5], dims: [1, 2, 1, 1], scale: [1], zeroPoint: [0] }, { q: [2, 3], dims: [2, 1, 1, 1], scale: [1, 0.5], zeroPoint: [0, 1] },
      undefined, { ...plain, group: 2 }, unit);
    assert.deepEqual([...g.q], [6, 5]);
    assert.deepEqual([...qlinearConv(x, w, [300], plain, { ...unit, range: U8 }).q], [255], 'saturates at the range');
  });

  it('QLinearAdd and QLinearGlobalAveragePool by hand', () => {
    // (a - 10)·0.5 + (b - 1)·2 with b broadcast, then zero point 100.
    const add = qlinearAdd({ q: [10, 20, 255], dims: [3], scale: [0.5], zeroPoint: [10] }, { q: [3], dims: [1], scale: [2], zeroPoint: [1] }, { scale: 1, zeroPoint: 100, range: U8 });
    assert.deepEqual([...add.q], [104, 109, 226]);
    assert.deepEqual([...qlinearAdd({ q: [255], dims: [1], scale: [1], zeroPoint: [0] }, { q: [255], dims: [1], scale: [1], zeroPoint: [0] }, { scale: 1, zeroPoint: 0, range: U8 }).q], [255]);
    // mean(0, 1, 2, 4) = 1.75, / 0.5 = 3.5 → 4.
    const gap = qlinearGlobalAveragePool({ q: [1, 2, 3, 5], dims: [1, 1, 2, 2], scale: [1], zeroPoint: [1] }, { scale: 0.5, zeroPoint: 0, range: U8 });
    assert.deepEqual([...gap.q], [4]);
    assert.deepEqual(gap.dims, [1, 1, 1, 1]);
  });
});
