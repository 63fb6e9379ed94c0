import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { decodeNpy } from '../src/io/npy.js';
import { pearsonCorrelation } from '../src/metrics/rank-correlation.js';
import { explain } from '../src/methods/explain.js';
import { appendSmoothMask, smoothMaskGeometry } from '../src/methods/extremal/smooth-mask.js';
import { riseMask } from '../src/methods/rise.js';
import { loadClassifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { Engine } from '../src/runtime/engine.js';
import { createSession } from '../src/runtime/session.js';
import { EP_MASK_FIXTURES, REFERENCE_FIXTURES, RISE_MASK_FIXTURES } from './fixtures/index.js';

// Each method against its reference implementation (captum / TorchRay, run once in PyTorch on the
// same model and pixels by scripts/reference-maps.py). No Python here: the maps are fixtures.
const ROOT = new URL('../', import.meta.url);
const npy = (path: string): { data: Float32Array; shape: number[] } => decodeNpy(readFileSync(new URL(path, ROOT)));

describe("extremal perturbation's mask generator", () => {
  for (const f of EP_MASK_FIXTURES) {
    it(`equals TorchRay's MaskGenerator at ${f.size}×${f.size}, step ${f.step}, σ ${f.sigma} (margin and crop included)`, async () => {
      const stem = `test/fixtures/reference/ep-mask-${f.size}x${f.size}-step${f.step}-sigma${f.sigma}`;
      const p = npy(`${stem}.params.npy`);
      const ref = npy(`${stem}.full.npy`);
      const geo = smoothMaskGeometry(f.size, f.size, f.step, f.sigma);
      assert.deepEqual(geo.param, p.shape);
      assert.deepEqual(geo.full, ref.shape);
      const b = new GraphBuilder();
      const x = b.input('p', 'float32', [1, 1, ...geo.param]);
      const { full, cropped } = appendSmoothMask(b, x, geo, 1, [f.size, f.size]);
      b.push('Identity', [full], ['full']);
      b.push('Identity', [cropped], ['cropped']);
      b.output('full', 'float32', [1, 1, ...geo.full]);
      b.output('cropped', 'float32', [1, 1, f.size, f.size]);
      const s = await createSession(writeModel(b.build('mask')), { ep: 'cpu', threads: 1 });
      const r = await s.run({ p: { data: p.data, dims: [1, 1, ...geo.param] } });
      const m = r['full']!.data;
      let worst = 0;
      for (let i = 0; i < m.length; i++) worst = Math.max(worst, Math.abs(m[i]! - ref.data[i]!));
      assert.ok(worst < 1e-5, `max |ours − TorchRay| ${worst}`);
      // The crop is TorchRay's mask_: the full mask from row/column round(σ).
      const [, fw] = geo.full;
      const c = r['cropped']!.data;
      for (const [y, xx] of [[0, 0], [f.size - 1, f.size - 1], [5, 3]] as const)
        assert.equal(c[y * f.size + xx], m[(y + geo.offset) * fw + xx + geo.offset]);
    });
  }
});

describe("RISE's masks", () => {
  for (const f of RISE_MASK_FIXTURES) {
    it(`equal TorchRay's rise masks at ${f.height}×${f.width}, ${f.cells} cells (reflected grid, bilinear, shifted crop)`, () => {
      const stem = `test/fixtures/reference/rise-mask-${f.height}x${f.width}-cells${f.cells}`;
      const grids = npy(`${stem}.grid.npy`);
      const shifts = npy(`${stem}.shift.npy`);
      const ref = npy(`${stem}.mask.npy`);
      const [n] = grids.shape as [number];
      const G = f.cells * f.cells;
      const size = f.height * f.width;
      for (let k = 0; k < n; k++) {
        const m = riseMask(grids.data.subarray(k * G, (k + 1) * G), f.height, f.width, f.cells, shifts.data[2 * k]!, shifts.data[2 * k + 1]!);
        let worst = 0;
        for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(m[i]! - ref.data[k * size + i]!));
        assert.ok(worst < 1e-5, `mask ${k}: max |ours − TorchRay| ${worst}`);
      }
    });
  }
});

describe('every method against its reference implementation (built-in fashion-mnist-cnn)', () => {
  const engines: Engine[] = [];
  after(async () => Promise.all(engines.map((e) => e.release())));
  const setup = (async () => {
    const c = await loadClassifier('fashion-mnist-cnn');
    const engine = new Engine(c, { ep: 'cpu', threads: 1 });
    engines.push(engine);
    const images = new Map<string, ImageInput>();
    for (const p of REFERENCE_FIXTURES.photos) images.set(p, await loadImage(new URL(`assets/images/fashion/${p}.png`, ROOT).pathname, c.spec));
    return { engine, images };
  })();

  for (const m of REFERENCE_FIXTURES.maps) {
    it(`${m.method} ${JSON.stringify(m.options)} ≈ ${m.reference}`, async () => {
      const { engine, images } = await setup;
      const photos: readonly string[] = (m as { photos?: readonly string[] }).photos ?? REFERENCE_FIXTURES.photos;
      for (const photo of photos) {
        const image = images.get(photo)!;
        const ref = npy(`${REFERENCE_FIXTURES.dir}${photo}.${m.file}.npy`).data;
        const run = async (seed: number): Promise<Float32Array> => (await explain(engine, image, { method: m.method, seed, options: { ...m.options } })).map;
        const ours = await run(0);
        const r = pearsonCorrelation(ours, ref);
        if (!m.stochastic) {
          const min = (m as { minPearson?: number }).minPearson ?? 0.99;
          assert.ok(r >= min, `${photo}: Pearson ${r.toFixed(4)} with the reference (at least ${min})`);
          continue;
        }
        // Sampled methods: our map agrees with the reference's as well as two of our own seeds agree.
        const other = await run(1);
        const floor = pearsonCorrelation(ours, other);
        const mean = (r + pearsonCorrelation(other, ref)) / 2;
        assert.ok(mean >= floor - 0.03, `${photo}: Pearson with the reference ${mean.toFixed(4)}, noise floor ${floor.toFixed(4)}`);
      }
    });
  }
});
