import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskToRgba, rgbToRgba } from '../src/web/pixels.js';

describe('mask pixels for a canvas (neuromask/web)', () => {
  it('grey by default: the clamped mask value on R, G and B, alpha 255', () => {
    const px = maskToRgba(Float32Array.from([0, 1, 0.5, -3, 7, 0.25]), 2, 3);
    assert.equal(px.length, 24);
    const r = [0, 1, 2, 3, 4, 5].map((i) => px[i * 4]!);
    assert.deepEqual(r, [0, 255, 128, 0, 255, 64]);
    for (let i = 0; i < 6; i++) {
      assert.equal(px[i * 4 + 1], r[i]);
      assert.equal(px[i * 4 + 2], r[i]);
      assert.equal(px[i * 4 + 3], 255);
    }
  });

  it('normalize stretches a map to [0, 1] first; jet maps 0 to dark blue and 1 to dark red', () => {
    const px = maskToRgba(Float32Array.from([-2, 6]), 1, 2, { normalize: true, colormap: 'jet' });
    assert.deepEqual([...px.slice(0, 3)], [0, 0, 128]);
    assert.deepEqual([...px.slice(4, 7)], [128, 0, 0]);
  });

  it('blends over an RGB image with weight alpha for the map', () => {
    const over = Uint8Array.from([200, 100, 0]);
    const px = maskToRgba(Float32Array.from([1]), 1, 1, { over, alpha: 0.25 });
    assert.deepEqual([...px], [Math.round(0.25 * 255 + 0.75 * 200), Math.round(0.25 * 255 + 0.75 * 100), Math.round(0.25 * 255), 255]);
  });

  it('rejects sizes that do not match and alpha outside [0, 1]', () => {
    assert.throws(() => maskToRgba(new Float32Array(5), 2, 3), /expected 2x3/);
    assert.throws(() => maskToRgba(new Float32Array(1), 1, 1, { over: new Uint8Array(4) }), /expected 1x1x3/);
    assert.throws(() => maskToRgba(new Float32Array(1), 1, 1, { alpha: 2 }), /alpha/);
    assert.throws(() => rgbToRgba(new Uint8Array(5), 1, 2), /expected 1x2x3/);
  });

  it('rgbToRgba adds an opaque alpha', () => {
    assert.deepEqual([...rgbToRgba(Uint8Array.from([1, 2, 3, 4, 5, 6]), 1, 2)], [1, 2, 3, 255, 4, 5, 6, 255]);
  });
});
