import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors/usage-error.js';
import { loadImage, type ImageInput } from '../image/load.js';
import { sweepLeftovers, writeFileAtomic } from '../io/atomic.js';
import { decodeNpy } from '../io/npy.js';
import { energyInBoxes, PointingGame } from '../metrics/pointing-game.js';
import { resultsCsv } from '../report/csv.js';
import { summarise, type PointingScore } from '../report/summary.js';
import type { Engine } from '../runtime/engine.js';
import { checkMethodOptions } from './check-methods.js';
import { computePair } from './pair.js';
import { fromJson, pairKey, restorePair, savePair, type StoredPair } from './pair-store.js';
import { RandomisedModels, sanityScores, stabilityScore } from './robustness.js';
import type { EvalItem, EvalResults, PairResult, RunOptions } from './types.js';

export { MASK_METHODS } from './pair.js';
export type { EvalItem, EvalResults, ExtraMetrics, PairResult, RunOptions } from './types.js';

function checkOptions(o: RunOptions): void {
  checkMethodOptions(o.methods, o.methodOptions);
  const k = o.stability ?? 0;
  if (!Number.isInteger(k) || k < 0 || k === 1) throw new UsageError(`--stability: expected 0 (off) or a number of seeds ≥ 2, got ${k}`);
}

/**
 * Every image × every method, one pair at a time. Each finished pair is written atomically to
 * `<out>/pairs/<image>/<method>.{npy,json}` (the .json last: it marks the pair done), so a run
 * started again after an interruption skips what is already there. The opt-in metrics
 * (`stability`, `sanity`) are added to a saved pair when asked for and missing (or computed with
 * another k): its map is reused, only the extra runs are made.
 */
export async function runEvaluation(engine: Engine, items: readonly EvalItem[], o: RunOptions): Promise<EvalResults> {
  checkOptions(o);
  const started = Date.now();
  const k = o.stability ?? 0;
  const sanity = o.sanity ?? false;
  const [h, w] = engine.classifier.spec.inputSize;
  const games = new Map(o.methods.map((m) => [m, new PointingGame()]));
  const randomised = new RandomisedModels(engine, o.seed ?? 0);
  const pairs: PairResult[] = [];
  const total = items.length * o.methods.length;
  let restored = 0;
  try {
    for (const item of items) {
      const dir = join(o.out, 'pairs', item.id);
      await mkdir(dir, { recursive: true });
      await sweepLeftovers(dir); // temp files of a killed run (they are never read, only in the way)
      let image: ImageInput | undefined;
      for (const method of o.methods) {
        const report = (step: string) => o.onProgress?.(pairs.length, total, { image: item.id, method, step });
        report('');
        const key = pairKey(engine, item, method, o);
        let done: { stored: StoredPair; map: Float32Array } | undefined = await restorePair(dir, method, key);
        let computed = !done;
        if (!done) {
          image ??= await loadImage(item.source, engine.classifier.spec);
          const c = await computePair(engine, image, item, method, o, report);
          done = { stored: { key, result: c.result, options: c.options }, map: c.map };
          await savePair(dir, method, done.stored, { data: c.map, height: c.height, width: c.width });
        }
        const { stored, map } = done;
        const needStability = k >= 2 && stored.stability?.k !== k;
        const needSanity = sanity && !stored.sanity;
        if (needStability || needSanity) {
          computed = true;
          image ??= await loadImage(item.source, engine.classifier.spec);
          const t = stored.result.target.index;
          if (needStability) stored.stability = { k, value: await stabilityScore(engine, image, method, t, map, k, o, report) };
          if (needSanity) stored.sanity = await sanityScores(randomised, image, method, t, map, o, report);
          await savePair(dir, method, stored);
        }
        if (!computed) restored++;
        // Pointing and energy are cheap and depend on the tolerance: always scored afresh.
        const boxes = item.boxes && item.boxes.length > 0 ? item.boxes : undefined;
        pairs.push({
          ...stored.result,
          pointingHit: boxes ? games.get(method)!.add(map, h, w, boxes, o.tolerance) : null,
          energyInBox: boxes ? energyInBoxes(map, w, boxes) : null,
          stability: k >= 2 ? fromJson(stored.stability?.value) : null,
          sanityTop: sanity ? fromJson(stored.sanity?.top) : null,
          sanityAll: sanity ? fromJson(stored.sanity?.all) : null,
        });
      }
    }
  } finally {
    await randomised.release();
  }
  o.onProgress?.(total, total, { image: '', method: '', step: 'done' });
  const anyBoxes = items.some((i) => (i.boxes?.length ?? 0) > 0);
  const pointing = new Map<string, PointingScore>(
    anyBoxes ? [...games].map(([m, g]) => [m, { hits: g.hits, misses: g.misses, accuracy: g.accuracy }]) : [],
  );
  return {
    model: engine.classifier.name,
    seed: o.seed ?? 0,
    methods: [...o.methods],
    stability: k,
    sanity,
    images: items.map((i) => ({ id: i.id, source: i.source, ...(i.boxes ? { boxes: i.boxes } : {}) })),
    pairs,
    summary: summarise(pairs, o.methods, pointing),
    seconds: (Date.now() - started) / 1000,
    restored,
  };
}

/** The map of a finished pair, as written by `runEvaluation`. */
export async function readPairMap(out: string, image: string, method: string): Promise<Float32Array> {
  return decodeNpy(await readFile(join(out, 'pairs', image, `${method}.npy`))).data;
}

/** results.json (everything) and results.csv (one row per pair, then per-method means). */
export async function writeResults(out: string, r: EvalResults): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  await writeFileAtomic(join(out, 'results.csv'), resultsCsv(r.pairs, r.summary, r));
}
