/**
 * docs/study/findings.md, fourth round: NeuroMask's default mask read as different maps, scored on
 * the study photos (docs/study/boxes.json, MobileNetV2) by deletion/insertion AUC (RISE protocol),
 * the pointing game and energy in the box. The mask is learnt once per item; each reading is scored.
 *
 *   NEUROMASK_HOME=../shared/models npx tsx scripts/study-map-reading.ts [readings] [limit] [photos|canvas] [options]
 *
 * readings (comma-separated): mask | steps (mean mask over the run) | w<W>[_<sigma>] (mask refined
 * with weight W, evidence blurred by sigma px; e.g. w10, w30_1; w10+1 adds 1 · evidence) |
 * m<a>w<W> (the mask mixed with the run's mean mask by a, then refined). Default: mask,w3,w10,w30.
 * canvas: the first `limit` fashion-canvas items with fashion-canvas-cnn instead of the photos.
 * options: NeuroMask options as JSON on top of the current default (e.g. the fifth round's canvas
 * screening: '{"iterations":30,"learningRate":0.27,"area":4,"smoothness":1,"deletion":2}').
 */
import { loadClassifier } from '../src/models/classifier.js';
import { loadImage } from '../src/image/load.js';
import { makeBaseline } from '../src/image/baseline.js';
import { Engine } from '../src/runtime/engine.js';
import { neuromask, type Explanation } from '../src/methods/neuromask/neuromask.js';
import { refinedMaps } from '../src/methods/neuromask/refine.js';
import { deletionInsertion } from '../src/metrics/deletion-insertion.js';
import { PointingGame, energyInBoxes } from '../src/metrics/pointing-game.js';
import { canvasItems, studyPhotos } from './study-items.js';

const readings = (process.argv[2] ?? 'mask,w3,w10,w30').split(',');
const limit = Number(process.argv[3] ?? Infinity);
const set = process.argv[4] ?? 'photos';
const options = JSON.parse(process.argv[5] ?? '{}') as Record<string, unknown>;

const items = set === 'canvas' ? await canvasItems(limit) : studyPhotos().slice(0, limit);

/** The mean of the masks over the run (historyEvery 1). */
function stepMean(e: Explanation): Float32Array {
  const out = new Float32Array(e.mask.length);
  for (const h of e.history) h.mask.forEach((v, i) => (out[i]! += v / e.history.length));
  return out;
}

const c = await loadClassifier(set === 'canvas' ? 'fashion-canvas-cnn' : 'mobilenetv2-imagenet');
const engine = new Engine(c, { ep: 'cpu', threads: 2, cache: false });
const [H, W] = c.spec.inputSize;
const score = Object.fromEntries(readings.map((r) => [r, { del: [] as number[], ins: [] as number[], pg: new PointingGame(), energy: [] as number[] }]));
for (const item of items) {
  const image = await loadImage(item.source, c.spec);
  const [e] = await neuromask(engine, [{ image, ...(item.target !== undefined ? { target: item.target } : {}) }], { ...options, refine: 0, historyEvery: 1, batchSize: 1 });
  const { mask, config } = e!;
  const t = e!.target.index;
  const ch = image.pixels.length / (H * W);
  const baseline = makeBaseline(config.baseline, image.pixels, ch, H, W, config.blurSigma);
  const refined = (weight: number, sigma: number): Promise<Float32Array> =>
    refinedMaps(engine, [mask], image.pixels, baseline, [t], ch, [H, W], { weight, sigma }).then(([m]) => m!);
  // The normalised evidence e itself, for the readings that use it outside the mask: mask · (1 + e) / mask − 1.
  let ev: Float32Array | undefined;
  const evidence = async (): Promise<Float32Array> => (ev ??= (await refined(1, 0)).map((v, i) => v / mask[i]! - 1));
  for (const r of readings) {
    let map: Float32Array;
    if (r === 'mask') map = mask;
    else if (r === 'steps') map = stepMean(e!);
    else if (r.startsWith('m')) {
      // m<a>w<W>: ((1 − a) · mask + a · mean mask over the run) · (1 + W · evidence).
      const [, a, w] = /^m([\d.]+)w([\d.]+)$/.exec(r) ?? [];
      const [ea, steps] = [await evidence(), stepMean(e!)];
      map = mask.map((m, i) => ((1 - Number(a)) * m + Number(a) * steps[i]!) * (1 + Number(w) * ea[i]!));
    } else {
      // w<W>[_<sigma>][+<A>]: + A · (unblurred) evidence, so the evidence also orders the pixels outside the mask.
      const [, w, sg, add] = /^w([\d.]+)(?:_([\d.]+))?(?:\+([\d.]+))?$/.exec(r) ?? [];
      map = await refined(Number(w), Number(sg ?? 0));
      if (add !== undefined) {
        const ea = await evidence();
        map = map.map((v, i) => v + Number(add) * ea[i]!);
      }
    }
    const s = score[r]!;
    s.del.push((await deletionInsertion(engine, image, map, t, { mode: 'deletion' })).auc);
    s.ins.push((await deletionInsertion(engine, image, map, t, { mode: 'insertion' })).auc);
    s.pg.add(map, H, W, item.boxes);
    s.energy.push(energyInBoxes(map, W, item.boxes));
  }
  if (set !== 'canvas') process.stderr.write(`${item.id} done\n`);
}
await engine.release();
const mean = (a: number[]): string => (a.reduce((x, v) => x + v, 0) / a.length).toFixed(3);
console.log('| map | deletion ↓ | insertion ↑ | pointing | energy in box |\n| --- | --- | --- | --- | --- |');
for (const r of readings) {
  const s = score[r]!;
  console.log(`| ${r} | ${mean(s.del)} | ${mean(s.ins)} | ${s.pg.accuracy.toFixed(2)} | ${mean(s.energy)} |`);
}
