/**
 * docs/study/findings.md, fourth round: NeuroMask's default mask read as different maps, scored on
 * the study photos (docs/study/boxes.json, MobileNetV2) by deletion/insertion AUC (RISE protocol),
 * the pointing game and energy in the box. The mask is learnt once per item; each reading is scored.
 *
 *   NEUROMASK_HOME=../shared/models npx tsx scripts/study-map-reading.ts [readings] [limit]
 *
 * readings (comma-separated): mask | steps (mean mask over the run) | w<W>[_<sigma>] (mask refined
 * with weight W, evidence blurred by sigma px; e.g. w10, w30_1). Default: mask,w3,w10,w30.
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
import { PointingGame, energyInBoxes, type Box } from '../src/metrics/pointing-game.js';

const IMAGES = new URL('../../shared/images/', import.meta.url).pathname;
const BOXES = JSON.parse(readFileSync(new URL('../docs/study/boxes.json', import.meta.url), 'utf8')).boxes as Record<string, { box: Box }>;
const readings = (process.argv[2] ?? 'mask,w3,w10,w30').split(',');
const limit = Number(process.argv[3] ?? Infinity);

const files = Object.fromEntries(readdirSync(IMAGES).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => [f.replace(/\.[^.]+$/, ''), f]));
const items = Object.entries(BOXES).slice(0, limit).map(([key, { box }]) => {
  const [name, target] = key.split('@') as [string, string | undefined];
  return { key, file: join(IMAGES, files[name]!), box, ...(target ? { target: Number(target) } : {}) };
});

const c = await loadClassifier('mobilenetv2-imagenet');
const engine = new Engine(c, { ep: 'cpu', threads: 2, cache: false });
const [H, W] = c.spec.inputSize;
const score = Object.fromEntries(readings.map((r) => [r, { del: [] as number[], ins: [] as number[], pg: new PointingGame(), energy: [] as number[] }]));
for (const item of items) {
  const image = await loadImage(item.file, c.spec);
  const [e] = await neuromask(engine, [{ image, ...(item.target !== undefined ? { target: item.target } : {}) }], { refine: 0, historyEvery: 1, batchSize: 1 });
  const { mask, config } = e!;
  const t = e!.target.index;
  const baseline = makeBaseline(config.baseline, image.pixels, 3, H, W, config.blurSigma);
  for (const r of readings) {
    let map: Float32Array;
    if (r === 'mask') map = mask;
    else if (r === 'steps') {
      map = new Float32Array(mask.length);
      for (const h of e!.history) h.mask.forEach((v, i) => (map[i]! += v / e!.history.length));
    } else {
      const [weight, sigma] = r.slice(1).split('_').map(Number) as [number, number | undefined];
      [map] = (await refinedMaps(engine, [mask], image.pixels, baseline, [t], 3, [H, W], { weight, sigma: sigma ?? 0 })) as [Float32Array];
    }
    const s = score[r]!;
    s.del.push((await deletionInsertion(engine, image, map, t, { mode: 'deletion' })).auc);
    s.ins.push((await deletionInsertion(engine, image, map, t, { mode: 'insertion' })).auc);
    s.pg.add(map, H, W, [item.box]);
    s.energy.push(energyInBoxes(map, W, [item.box]));
  }
  process.stderr.write(`${item.key} done\n`);
}
await engine.release();
const mean = (a: number[]): string => (a.reduce((x, v) => x + v, 0) / a.length).toFixed(3);
console.log('| map | deletion ↓ | insertion ↑ | pointing | energy in box |\n| --- | --- | --- | --- | --- |');
for (const r of readings) {
  const s = score[r]!;
  console.log(`| ${r} | ${mean(s.del)} | ${mean(s.ins)} | ${s.pg.accuracy.toFixed(2)} | ${mean(s.energy)} |`);
}
