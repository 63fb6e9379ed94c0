import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { applyColormap, colormap } from '../src/viz/colormap.js';
import { minMaxNormalize, percentileClip } from '../src/viz/normalize.js';
import { animationGif, maskedPng, maskPng, overlayPng, panelPng, upscaleFactor } from '../src/viz/render.js';

async function decode(png: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  // sharp's raw output expands grey to sRGB; take the one band back out so tests see the file's channels.
  const channels = (await sharp(png).metadata()).channels;
  const img = channels === 1 ? sharp(png).extractChannel(0) : sharp(png);
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels };
}

/** A small test image and a map: 4 rows x 5 cols, display colours vary by pixel. */
function fixture(): { h: number; w: number; display: Uint8Array; map: Float32Array } {
  const h = 4;
  const w = 5;
  const display = new Uint8Array(h * w * 3).map((_, i) => (i * 37) % 256);
  const map = new Float32Array(h * w).map((_, i) => -2 + 0.5 * i);
  return { h, w, display, map };
}

describe('colormap', () => {
  it('jet follows matplotlib _jet_data', () => {
    assert.deepEqual(colormap('jet', 0), [0, 0, 128]);
    assert.deepEqual(colormap('jet', 0.11), [0, 0, 255]);
    assert.deepEqual(colormap('jet', 0.5), [123, 255, 123]);
    assert.deepEqual(colormap('jet', 1), [128, 0, 0]);
    assert.deepEqual(colormap('jet', -1), colormap('jet', 0));
    assert.deepEqual(colormap('jet', Number.NaN), colormap('jet', 0));
  });

  it('viridis matches the published hex values', () => {
    assert.deepEqual(colormap('viridis', 0), [0x44, 0x01, 0x54]);
    assert.deepEqual(colormap('viridis', 0.25), [0x3b, 0x52, 0x8b]);
    assert.deepEqual(colormap('viridis', 0.5), [0x21, 0x91, 0x8c]);
    assert.deepEqual(colormap('viridis', 0.75), [0x5e, 0xc9, 0x62]);
    assert.deepEqual(colormap('viridis', 1), [0xfd, 0xe7, 0x25]);
  });

  it('turbo matches Google\'s published table', () => {
    assert.deepEqual(colormap('turbo', 0), [48, 18, 59]);
    assert.deepEqual(colormap('turbo', 0.5), [164, 252, 60]);
    assert.deepEqual(colormap('turbo', 1), [122, 4, 3]);
  });

  it('grey is linear', () => {
    assert.deepEqual(colormap('grey', 0), [0, 0, 0]);
    assert.deepEqual(colormap('grey', 0.5), [128, 128, 128]);
    assert.deepEqual(colormap('grey', 1), [255, 255, 255]);
  });

  it('applyColormap agrees with colormap', () => {
    const ts = [0, 0.1, 0.25, 0.5, 0.9, 1];
    for (const name of ['jet', 'viridis', 'turbo', 'grey'] as const) {
      const rgb = applyColormap(Float32Array.from(ts), name);
      ts.forEach((t, i) => {
        const want = colormap(name, Math.fround(t));
        const got = [...rgb.subarray(i * 3, i * 3 + 3)];
        assert.ok(got.every((v, c) => Math.abs(v - want[c]!) <= 1), `${name}(${t}): ${got} vs ${want}`);
      });
    }
  });
});

describe('normalize', () => {
  it('minMaxNormalize spans [0, 1]; constant and non-finite go to 0', () => {
    assert.deepEqual([...minMaxNormalize(Float32Array.of(1, 3, 5))], [0, 0.5, 1]);
    assert.deepEqual([...minMaxNormalize(Float32Array.of(7, 7, 7))], [0, 0, 0]);
    assert.deepEqual([...minMaxNormalize(Float32Array.of(1, Number.NaN, 3))], [0, 0, 1]);
  });

  it('percentileClip clips outliers with linear interpolation', () => {
    const map = Float32Array.from({ length: 101 }, (_, i) => i);
    map[100] = 1e6;
    const out = percentileClip(map, 0, 99);
    assert.equal(out[100], 99);
    assert.equal(out[0], 0);
    assert.equal(percentileClip(Float32Array.of(0, 10), 50, 50)[0], 5);
    assert.throws(() => percentileClip(map, 60, 40), RangeError);
  });
});

describe('render', () => {
  it('maskPng is the clamped mask, not renormalised', async () => {
    const mask = Float32Array.of(0.5, 0.5, -1, 2);
    const png = await decode(await maskPng(mask, 2, 2, { minSize: 0 }));
    assert.equal(png.channels, 1);
    assert.deepEqual([...png.data], [128, 128, 0, 255]);
  });

  it('overlay with alpha 1 is the colour of the normalised map; alpha 0 is the image', async () => {
    const { h, w, display, map } = fixture();
    const heat = await decode(await overlayPng(display, h, w, map, { alpha: 1, colormap: 'viridis', minSize: 0 }));
    const norm = minMaxNormalize(map);
    for (let i = 0; i < h * w; i++) {
      assert.deepEqual([...heat.data.subarray(i * 3, i * 3 + 3)], colormap('viridis', norm[i]!), `pixel ${i}`);
    }
    const plain = await decode(await overlayPng(display, h, w, map, { alpha: 0, minSize: 0 }));
    assert.deepEqual([...plain.data], [...display]);
  });

  it('overlay blends with weight alpha on the heat map', async () => {
    const { h, w, display, map } = fixture();
    const png = await decode(await overlayPng(display, h, w, map, { alpha: 0.8, minSize: 0 }));
    const want = colormap('jet', 0).map((c, k) => Math.round(0.8 * c + 0.2 * display[k]!));
    assert.deepEqual([...png.data.subarray(0, 3)], want);
  });

  it('maskedPng multiplies the image by the mask', async () => {
    const display = Uint8Array.of(200, 100, 50, 200, 100, 50);
    const png = await decode(await maskedPng(display, 1, 2, Float32Array.of(1, 0.5), { minSize: 0 }));
    assert.deepEqual([...png.data], [200, 100, 50, 100, 50, 25]);
    const white = await decode(await maskedPng(display, 1, 2, Float32Array.of(0, 0), { baseline: 'white', minSize: 0 }));
    assert.deepEqual([...white.data], [255, 255, 255, 255, 255, 255]);
  });

  it('tiny images are upscaled by an integer factor with nearest neighbour', async () => {
    assert.equal(upscaleFactor(28, 28), 8);
    assert.equal(upscaleFactor(224, 224), 1);
    const mask = new Float32Array(28 * 28).map((_, i) => (i % 2 === 0 ? 1 : 0));
    const png = await decode(await maskPng(mask, 28, 28));
    assert.equal(png.width, 224);
    assert.equal(png.height, 224);
    // Pixel (0,0) is white and covers the 8x8 block; (0,1) is black.
    assert.equal(png.data[7 * 224 + 7], 255);
    assert.equal(png.data[8], 0);
  });

  it('panelPng lays tiles out on a grid', async () => {
    const tile = await maskPng(new Float32Array(10 * 20).fill(1), 10, 20, { minSize: 0 });
    const panel = await sharp(await panelPng([{ png: tile, title: 'a <b>' }, { png: tile }, { png: tile }], { columns: 2, gap: 4, titleHeight: 12 })).metadata();
    assert.equal(panel.width, 4 + 2 * (20 + 4));
    assert.equal(panel.height, 4 + 2 * (10 + 12 + 4));
  });

  it('animationGif joins frames into an animated GIF', async () => {
    const frames = await Promise.all([0, 0.5, 1].map((v) => maskPng(new Float32Array(16).fill(v), 4, 4, { minSize: 0 })));
    const meta = await sharp(await animationGif(frames, 120)).metadata();
    assert.equal(meta.format, 'gif');
    assert.equal(meta.pages, 3);
    assert.deepEqual(meta.delay, [120, 120, 120]);
  });

  it('rejects maps of the wrong size', async () => {
    await assert.rejects(maskPng(new Float32Array(3), 2, 2), RangeError);
  });
});
