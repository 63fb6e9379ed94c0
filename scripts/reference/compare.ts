// Our maps against the reference maps scripts/reference-maps.py wrote, on the same model and
// pixels: Pearson / Spearman per method and photo, the noise floor of the stochastic methods
// (two of our seeds, two of the reference's), and extremal perturbation's masked probability.
//   node --import tsx scripts/reference/compare.ts <model> <data-dir> <ref-dir> [methods] [--target N] [--set method.key=json]
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInput } from '../../src/image/load.js';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';
import { pearsonCorrelation, spearman } from '../../src/metrics/rank-correlation.js';
import { blurPyramid } from '../../src/methods/extremal-perturbation.js';
import { explain } from '../../src/methods/explain.js';
import { loadClassifier } from '../../src/models/classifier.js';
import { Engine } from '../../src/runtime/engine.js';
import { toProbabilities } from '../../src/util/softmax.js';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv.splice(i, 2)[1];
};
const targetFlag = flag('--target');
const reuse = argv.includes('--reuse') && argv.splice(argv.indexOf('--reuse'), 1).length > 0;
const sets: string[] = [];
for (let s = flag('--set'); s !== undefined; s = flag('--set')) sets.push(s);
const [model, data, refDir, methodList] = argv;
if (!model || !data || !refDir) {
  console.error('usage: compare.ts <model> <data-dir> <ref-dir> [gradient,ig,smoothgrad,grad-cam,occlusion,rise,extremal-perturbation]');
  process.exit(2);
}
const methods = (methodList ?? 'gradient,ig,smoothgrad,grad-cam,occlusion,rise,extremal-perturbation').split(',');
const overrides: Record<string, Record<string, unknown>> = {};
for (const s of sets) {
  const [key, value] = s.split('=', 2) as [string, string];
  const [m, k] = key.split('.', 2) as [string, string];
  (overrides[m] ??= {})[k] = JSON.parse(value);
}

interface Meta { size: [number, number]; channels: number; mean: number[]; photos: { name: string; target: number }[] }
const meta = JSON.parse(await readFile(join(data, 'meta.json'), 'utf8')) as Meta;
const [H, W] = meta.size;
const C = meta.channels;
const c = await loadClassifier(model);
const engine = new Engine(c, { ep: 'cpu', threads: 2 });
const npy = async (path: string): Promise<Float32Array> => decodeNpy(await readFile(path)).data;

/** p(target) on the image perturbed by `mask` through TorchRay's pyramid (the same lookup for both masks). */
async function maskedProbability(image: ImageInput, mask: Float32Array, target: number): Promise<number> {
  const L = 8;
  const pyr = blurPyramid(image.pixels, C, H, W, L, 20, meta.mean);
  const x = new Float32Array(C * H * W);
  for (let ch = 0; ch < C; ch++)
    for (let i = 0; i < H * W; i++) {
      const t = mask[i]! * (L - 1);
      const k = Math.min(Math.floor(t), L - 2);
      const f = t - k;
      x[ch * H * W + i] = (1 - f) * pyr[(k * C + ch) * H * W + i]! + f * pyr[((k + 1) * C + ch) * H * W + i]!;
    }
  return toProbabilities(await engine.forward(x, 1), c.outputKind)[target]!;
}

const IG_RULES = { gausslegendre: 'gauss-legendre', riemann_right: 'riemann-right', riemann_middle: 'riemann-middle' } as const;
const rows: Record<string, unknown>[] = [];
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));
for (const photo of meta.photos) {
  const pixels = await npy(join(data, `${photo.name}.pixels.npy`));
  const image: ImageInput = { pixels, channels: C, height: H, width: W } as ImageInput;
  const target = targetFlag !== undefined ? Number(targetFlag) : photo.target;
  const run = async (method: string, options: Record<string, unknown>, seed = 0): Promise<Float32Array> =>
    (await explain(engine, image, { method, target, seed, options: { ...options, ...overrides[method] } })).map;
  const compare = async (method: string, ours: Float32Array, refName: string, extra: Record<string, unknown> = {}): Promise<Float32Array | undefined> => {
    const path = join(refDir, `${photo.name}.${refName}.npy`);
    if (!existsSync(path)) return undefined;
    const ref = await npy(path);
    const r = { photo: photo.name, target, method, reference: refName, pearson: pearsonCorrelation(ours, ref), spearman: spearman(ours, ref), ...extra };
    rows.push(r);
    console.log(JSON.stringify(r));
    return ref;
  };
  for (const m of methods) {
    const t0 = performance.now();
    if (m === 'gradient') await compare(m, await run('gradient', {}), 'gradient');
    if (m === 'ig')
      for (const [ref, rule] of Object.entries(IG_RULES)) await compare(`integrated-gradients ${rule}`, await run('integrated-gradients', { rule, steps: 32 }), `integrated-gradients-${ref}`);
    if (m === 'smoothgrad') {
      const [a, b] = [await run('smoothgrad', {}, 0), await run('smoothgrad', {}, 1)];
      await compare(m, a, 'smoothgrad', { noiseFloorPearson: pearsonCorrelation(a, b), noiseFloorSpearman: spearman(a, b) });
    }
    if (m === 'grad-cam') {
      const ours = await run('grad-cam', {});
      await compare(m, ours, 'grad-cam');
      await compare(m, ours, 'grad-cam-torchray');
    }
    if (m === 'occlusion') await compare(m, await run('occlusion', { fill: 'mean' }), 'occlusion');
    if (m === 'rise') {
      const [a, b] = [await run('rise', {}, 0), await run('rise', {}, 1)];
      const r0 = join(refDir, `${photo.name}.rise-seed0.npy`);
      const r1 = join(refDir, `${photo.name}.rise-seed1.npy`);
      const refFloor = existsSync(r1) ? pearsonCorrelation(await npy(r0), await npy(r1)) : NaN;
      await compare(m, a, 'rise-seed0', { noiseFloorPearson: pearsonCorrelation(a, b), noiseFloorSpearman: spearman(a, b), referenceNoiseFloorPearson: refFloor });
    }
    if (m === 'extremal-perturbation') {
      // --reuse: our mask from an earlier run (800 steps on MobileNetV2 take minutes).
      const saved = join(refDir, `${photo.name}.ours.extremal-perturbation.npy`);
      const ours = reuse && existsSync(saved) ? await npy(saved) : await run('extremal-perturbation', {});
      const refPath = join(refDir, `${photo.name}.extremal-perturbation.npy`);
      if (existsSync(refPath)) {
        const ref = await npy(refPath);
        const top = (v: Float32Array): Set<number> => new Set(Array.from(v.keys()).sort((i, j) => v[j]! - v[i]!).slice(0, Math.round(0.1 * v.length)));
        const [ta, tb] = [top(ours), top(ref)];
        const inter = [...ta].filter((i) => tb.has(i)).length;
        await compare(m, ours, 'extremal-perturbation', {
          oursMaskedP: await maskedProbability(image, ours, target),
          referenceMaskedP: await maskedProbability(image, ref, target),
          top10IoU: inter / (ta.size + tb.size - inter),
        });
      }
      await writeFile(join(refDir, `${photo.name}.ours.extremal-perturbation.npy`), encodeNpy(ours, [H, W]));
    }
    console.error(`${photo.name} ${m}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
console.log('\n| method | photo | reference | Pearson | Spearman | note |\n| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const note = Object.entries(r)
    .filter(([k]) => !['photo', 'target', 'method', 'reference', 'pearson', 'spearman'].includes(k))
    .map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : String(v)}`)
    .join('; ');
  console.log(`| ${String(r['method'])} | ${String(r['photo'])} | ${String(r['reference'])} | ${fmt(r['pearson'] as number)} | ${fmt(r['spearman'] as number)} | ${note} |`);
}
await engine.release();
