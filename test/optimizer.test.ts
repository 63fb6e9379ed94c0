import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adam, rmsprop } from '../src/methods/neuromask/optimizer.js';

describe('optimisers', () => {
  it('RMSProp follows TF1 semantics step by step (accumulator starts at 1)', () => {
    const w = Float32Array.from([1, -2]);
    const opt = rmsprop(2, { lr: 0.03 });
    const grads = [[0.5, -4], [0.1, 2]];
    // Hand computation: ms1 = 0.9·1 + 0.1·g²; w -= 0.03·g/sqrt(ms + 1e-10).
    let ms = [1, 1];
    const expected = [1, -2];
    for (const g of grads) {
      opt.step(w, Float32Array.from(g));
      ms = ms.map((m, i) => 0.9 * m + 0.1 * g[i]! ** 2);
      for (let i = 0; i < 2; i++) expected[i] = expected[i]! - (0.03 * g[i]!) / Math.sqrt(ms[i]! + 1e-10);
    }
    assert.ok(Math.abs(w[0]! - expected[0]!) < 1e-6 && Math.abs(w[1]! - expected[1]!) < 1e-6, `${w} vs ${expected}`);
    // With the accumulator at 1 the first step of a unit gradient is lr/sqrt(1) ≈ lr, not lr/sqrt(0.1).
    const v = Float32Array.from([0]);
    rmsprop(1, { lr: 0.03 }).step(v, Float32Array.from([1]));
    assert.ok(Math.abs(v[0]! + 0.03) < 1e-6);
  });

  it('Adam: the first step moves each parameter by lr against the gradient sign', () => {
    const w = Float32Array.from([0, 0, 0]);
    adam(3, { lr: 0.1 }).step(w, Float32Array.from([3, -0.001, 0]));
    assert.ok(Math.abs(w[0]! + 0.1) < 1e-6);
    assert.ok(Math.abs(w[1]! - 0.1) < 1e-3);
    assert.equal(w[2], 0);
  });

  it('Adam minimises a quadratic', () => {
    const w = Float32Array.from([5, -3]);
    const opt = adam(2, { lr: 0.1 });
    for (let i = 0; i < 500; i++) opt.step(w, Float32Array.from([2 * (w[0]! - 1), 2 * (w[1]! + 2)]));
    assert.ok(Math.abs(w[0]! - 1) < 1e-2 && Math.abs(w[1]! + 2) < 1e-2, `${w}`);
  });
});
