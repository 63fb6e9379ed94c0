// Our extremal perturbation against TorchRay's, step by step (the trace ep-trace.py wrote):
//   node --import tsx scripts/reference/ep-trace.ts <model> <data-dir> <trace-dir> <image>
// 1. Replayed: our graph at TorchRay's recorded parameters of every step: reward, area loss, the
//    gradient (total and the reward's alone) — which quantity parts first tells the cause.
// 2. Free-running: our optimiser for the same steps from the same start; its parameters against
//    TorchRay's at every step.
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadImage } from '../../src/image/load.js';
import { decodeNpy } from '../../src/io/npy.js';
import { pearsonCorrelation } from '../../src/metrics/rank-correlation.js';
import { ExtremalPerturbationOptionsSchema, extremalStepper } from '../../src/methods/extremal-perturbation.js';
import { loadClassifier } from '../../src/models/classifier.js';
import { Engine } from '../../src/runtime/engine.js';

const [model, data, traceDir, imagePath] = process.argv.slice(2);
if (!model || !data || !traceDir || !imagePath) {
  console.error('usage: ep-trace.ts <model> <data-dir> <trace-dir> <image>');
  process.exit(2);
}
interface Meta { photos: { name: string; target: number }[] }
const meta = JSON.parse(await readFile(join(data, 'meta.json'), 'utf8')) as Meta;
const photo = meta.photos.find((p) => p.name === basename(imagePath, extname(imagePath)))!;
const npy = async (name: string) => decodeNpy(await readFile(join(traceDir, `${name}.npy`)));
const params = await npy('params');
const grad = await npy('grad');
const rewardGrad = await npy('reward_grad');
const hist = await npy('hist');
const [N, h, w] = params.shape as [number, number, number];
const P = h * w;

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const c = await loadClassifier(model);
const engine = new Engine(c, { ep: 'cpu', threads: 1 });
const image = await loadImage(imagePath, c.spec);
if (maxAbs(image.pixels, decodeNpy(await readFile(join(data, `${photo.name}.pixels.npy`))).data) !== 0) throw new Error('the image is not the dumped one');
const o = ExtremalPerturbationOptionsSchema.parse({ iterations: N });
const stepper = await extremalStepper(engine, image, photo.target, o);

const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const rel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const d = Float64Array.from(a, (v, i) => v - b[i]!);
  return norm(d) / Math.max(norm(b), 1e-30);
};
const fmt = (v: number): string => v.toExponential(2);

console.log('replayed at TorchRay parameters: t | reward ours/TR | area ours/TR | grad rel.err (total, reward, area) | grad Pearson');
let weight = o.areaWeight;
const sliceT = (a: Float32Array, t: number): Float32Array => a.subarray(t * P, (t + 1) * P);
for (let t = 0; t < N; t++) {
  const p = sliceT(params.data, t);
  const full = await stepper.evaluate(p, t, weight);
  const rewardOnly = await stepper.evaluate(p, t, 0);
  const areaOurs = Float32Array.from(full.grad, (v, i) => v - rewardOnly.grad[i]!);
  const areaRef = Float32Array.from(sliceT(grad.data, t), (v, i) => v - sliceT(rewardGrad.data, t)[i]!);
  console.log(
    [t, `${full.reward[0]!.toFixed(5)}/${hist.data[t]!.toFixed(5)}`, `${full.area[0]!.toFixed(5)}/${(-hist.data[N + t]!).toFixed(5)}`,
      `${fmt(rel(full.grad, sliceT(grad.data, t)))} ${fmt(rel(rewardOnly.grad, sliceT(rewardGrad.data, t)))} ${fmt(rel(areaOurs, areaRef))}`,
      pearsonCorrelation(full.grad, sliceT(grad.data, t)).toFixed(6)].join(' | '),
  );
  weight *= o.areaWeightGrowth;
}

console.log('free-running from ones: t | max |p ours − p TR| | Pearson(p)');
const p = new Float32Array(P).fill(1);
const v = new Float32Array(P);
weight = o.areaWeight;
for (let t = 0; t < N; t++) {
  const ref = sliceT(params.data, t);
  console.log(`${t} | ${fmt(maxAbs(p, ref))} | ${pearsonCorrelation(p, ref).toFixed(6)}`);
  const g = (await stepper.evaluate(p, t, weight)).grad;
  for (let i = 0; i < P; i++) {
    v[i] = t === 0 ? g[i]! : o.momentum * v[i]! + (1 - o.momentum) * g[i]!;
    p[i] = Math.min(1, Math.max(0, p[i]! - o.learningRate * v[i]!));
  }
  weight *= o.areaWeightGrowth;
}
await engine.release();
