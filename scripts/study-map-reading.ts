/**
 * docs/study/findings.md, fourth round: NeuroMask's default mask read as different maps, scored on
 * the study photos (docs/study/boxes.json, MobileNetV2) by deletion/insertion AUC (RISE protocol),
 * the pointing game and energy in the box. The mask is learnt once per item; each reading is scored.
 *
 *   NEUROMASK_HOME=../shared/models npx tsx scripts/study-map-reading.ts [readings] [limit] [photos|canvas] [options]
 *
 * readings (comma-separated): mask | steps (mean mask over the run) | w<W>[_<sigma>] (mask refined
 * with weight W, evidence blurred by sigma px; e.g. w10, w30_1). Default: mask,w3,w10,w30.
 * canvas: the first `limit` fashion-canvas items with fashion-canvas-cnn instead of the photos.
 * options: NeuroMask options as JSON (e.g. '{"iterations":20,"learningRate":0.4}').
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadClassifier } from '../src/models/classifier.js';
import { loadImage } from '../src/image/load.js';
import { makeBaseline } from '../src/image/baseline.js';
import { Engine } from '../src/runtime/engine.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { refinedMaps } from '../src/methods/neuromask/refine.js';
import { deletionInsertion } from '../src/metrics/deletion-insertion.js';
import { readManifest } from '../src/eval/manifest.js';
import { PointingGame, energyInBoxes, type Box } from '../src/metrics/pointing-game.js';

const IMAGES = new URL('../../shared/images/', import.meta.url).pathname;
const BOXES = JSON.parse(readFileSync(new URL('../docs/study/boxes.json', import.meta.url), 'utf8')).boxes as Record<string, { box: Box }>;
const readings = (process.argv[2] ?? 'mask,w3,w10,w30').split(',');
const limit = Number(process.argv[3] ?? Infinity);
const set = process.argv[4] ?? 'photos';
const options = JSON.parse(process.argv[5] ?? '{}') as Record<string, unknown>;

const files = Object.fromEntries(readdirSync(IMAGES).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => [f.replace(/\.[^.]+$/, ''), f]));
const CANVAS = new URL('../assets/benchmarks/fashion-canvas/manifest.json', import.meta.url).pathname;
const items: { key: string; file: string; box: Box; target?: number }[] = set === 'canvas'
  ? (await readManifest(CANVAS)).slice(0, limit).map((e) => ({ key: e.id, file: e.source, box: e.boxes![0]!, ...(typeof e.target === 'number' ? { target: e.target } : {}) }))
  : Object.entries(BOXES).slice(0, limit).map(([key, { box }]) => {
    const [name, target] = key.split('@') as [string, string | undefined];
    return { key, file: join(IMAGES, files[name]!), box, ...(target ? { target: Number(target) } : {}) };
  });

const c = await loadClassifier(set === 'canvas' ? 'fashion-canvas-cnn' : 'mobilenetv2-imagenet');
const engine = new Engine(c, { ep: 'cpu', threads: 2, cache: false });
const [H, W] = c.spec.inputSize;
const score = Object.fromEntries(readings.map((r) => [r, { del: [] as number[], ins: [] as number[], pg: new PointingGame(), energy: [] as number[] }]));
for (const item of items) {
  const image = await loadImage(item.file, c.spec);
  const [e] = await neuromask(engine, [{ image, ...(item.target !== undefined ? { target: item.target } : {}) }], { ...options, refine: 0, historyEvery: 1, batchSize: 1 });
  const { mask, config } = e!;
  const t = e!.target.index;
  const ch = image.pixels.length / (H * W);
  const baseline = makeBaseline(config.baseline, image.pixels, ch, H, W, config.blurSigma);
  for (const r of readings) {
    let map: Float32Array;
    if (r === 'mask') map = mask;
    else if (r === 'steps') {
      map = new Float32Array(mask.length);
      for (const h of e!.history) h.mask.forEach((v, i) => (map[i]! += v / e!.history.length));
    } else if (r.startsWith('m')) {
      // m<a>w<W>: ((1 − a) · mask + a · mean mask over the run) · (1 + W · evidence).
      const [, a, w] = /^m([\d.]+)w([\d.]+)$/.exec(r) ?? [];
      const [r1] = (await refinedMaps(engine, [mask], image.pixels, baseline, [t], ch, [H, W], { weight: 1, sigma: 0 })) as [Float32Array];
      const stepMean = new Float32Array(mask.length);
      for (const h of e!.history) h.mask.forEach((v, i) => (stepMean[i]! += v / e!.history.length));
      map = mask.map((m, i) => ((1 - Number(a)) * m + Number(a) * stepMean[i]!) * (1 + Number(w) * (r1[i]! / m - 1)));
    } else {
      // w<W>[_<sigma>][+<A>]: + A · evidence added, so the evidence also orders the pixels outside the mask.
      const [, w, sg, add] = /^w([\d.]+)(?:_([\d.]+))?(?:\+([\d.]+))?$/.exec(r) ?? [];
      const weight = Number(w);
      [map] = (await refinedMaps(engine, [mask], image.pixels, baseline, [t], ch, [H, W], { weight, sigma: Number(sg ?? 0) })) as [Float32Array];
      if (add !== undefined) map = map.map((v, i) => v + (Number(add) * (v / mask[i]! - 1)) / weight);
    }
    const s = score[r]!;
    s.del.push((await deletionInsertion(engine, image, map, t, { mode: 'deletion' })).auc);
    s.ins.push((await deletionInsertion(engine, image, map, t, { mode: 'insertion' })).auc);
    s.pg.add(map, H, W, [item.box]);
    s.energy.push(energyInBoxes(map, W, [item.box]));
  }
  if (set !== 'canvas') process.stderr.write(`${item.key} done\n`);
}
await engine.release();
const mean = (a: number[]): string => (a.reduce((x, v) => x + v, 0) / a.length).toFixed(3);
console.log('| map | deletion ↓ | insertion ↑ | pointing | energy in box |\n| --- | --- | --- | --- | --- |');
for (const r of readings) {
  const s = score[r]!;
  console.log(`| ${r} | ${mean(s.del)} | ${mean(s.ins)} | ${s.pg.accuracy.toFixed(2)} | ${mean(s.energy)} |`);
}
