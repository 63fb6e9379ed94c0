import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors/usage-error.js';
import { loadImage, type ImageInput } from '../image/load.js';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeNpy, encodeNpy } from '../io/npy.js';
import { explain } from '../methods/explain.js';
import { findMethod, methodNames } from '../methods/registry.js';
import type { TargetInfo } from '../methods/types.js';
import { deletionInsertion } from '../metrics/deletion-insertion.js';
import { maskArea, maskedProbability } from '../metrics/mask-stats.js';
import { energyInBoxes, PointingGame } from '../metrics/pointing-game.js';
import { resultsCsv } from '../report/csv.js';
import { summarise, type MethodSummary, type PointingScore } from '../report/summary.js';
import type { Engine } from '../runtime/engine.js';
import type { Box } from './manifest.js';

/** Methods whose map is a mask in [0, 1], so that its area and what it keeps are meaningful. */
export const MASK_METHODS: ReadonlySet<string> = new Set(['neuromask', 'meaningful-perturbation', 'extremal-perturbation']);

/** Masked-out pixels become a blurred copy (σ 10 px), as in the default NeuroMask preset. */
const MASKED_BASELINE = 'blur';

export interface EvalItem {
  /** Names the output folder `pairs/<id>/`; unique within a run. */
  id: string;
  source: string;
  target?: number | string;
  boxes?: Box[];
}

/** One (image, method) pair: what results.json and results.csv hold per row. */
export interface PairResult {
  image: string;
  source: string;
  method: string;
  target: TargetInfo;
  deletionAuc: number;
  insertionAuc: number;
  maskArea: number | null;
  maskedProbability: number | null;
  seconds: number;
  forwardPasses: number;
  backwardPasses: number;
  /** Pointing game and energy in boxes: null without boxes (compare, or an image with none). */
  pointingHit: boolean | null;
  energyInBox: number | null;
}

export interface EvalResults {
  model: string;
  seed: number;
  methods: string[];
  images: { id: string; source: string; boxes?: Box[] }[];
  pairs: PairResult[];
  summary: MethodSummary[];
  /** Wall-clock seconds of this run (restored pairs cost nothing). */
  seconds: number;
  /** Pairs read back from an earlier run instead of computed. */
  restored: number;
}

export interface RunOptions {
  methods: readonly string[];
  out: string;
  seed?: number;
  /** Per method, its own options (validated by the method's schema). */
  methodOptions?: Readonly<Record<string, Record<string, unknown>>>;
  /** Pointing-game tolerance in pixels (the metric's default, 15, when absent). */
  tolerance?: number;
  signal?: AbortSignal;
  /** Pairs done (restored or computed) out of images × methods, and what runs now. */
  onProgress?: (done: number, total: number, fields: { image: string; method: string; step: string }) => void;
}

/** What a finished pair was computed with: a restart reuses it only when this is unchanged. */
function pairKey(engine: Engine, item: EvalItem, method: string, o: RunOptions): string {
  return JSON.stringify({ model: engine.classifier.source, source: item.source, method, target: item.target ?? null, seed: o.seed ?? 0, options: o.methodOptions?.[method] ?? {} });
}

interface StoredPair {
  key: string;
  result: Omit<PairResult, 'pointingHit' | 'energyInBox'>;
  options: Record<string, unknown>;
}

async function restore(dir: string, method: string, key: string): Promise<{ stored: StoredPair; map: Float32Array } | undefined> {
  try {
    const stored = JSON.parse(await readFile(join(dir, `${method}.json`), 'utf8')) as StoredPair;
    if (stored.key !== key) return undefined;
    // JSON drops an undefined label; put the key back so restored and fresh pairs look alike.
    stored.result.target = { index: stored.result.target.index, label: stored.result.target.label };
    return { stored, map: decodeNpy(await readFile(join(dir, `${method}.npy`))).data };
  } catch {
    return undefined; // absent or unreadable: compute it again
  }
}

async function computePair(engine: Engine, image: ImageInput, item: EvalItem, method: string, o: RunOptions, onStep: (s: string) => void) {
  const r = await explain(engine, image, {
    method,
    ...(item.target !== undefined ? { target: item.target } : {}),
    seed: o.seed ?? 0,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.methodOptions?.[method] ? { options: o.methodOptions[method] } : {}),
    onProgress: (d, t) => onStep(`${d}/${t}`),
  });
  onStep('metrics');
  const t = r.target.index;
  const del = await deletionInsertion(engine, image, r.map, t, { mode: 'deletion' });
  const ins = await deletionInsertion(engine, image, r.map, t, { mode: 'insertion' });
  const mask = MASK_METHODS.has(method);
  const result: StoredPair['result'] = {
    image: item.id,
    source: item.source,
    method,
    target: r.target,
    deletionAuc: del.auc,
    insertionAuc: ins.auc,
    maskArea: mask ? maskArea(r.map) : null,
    maskedProbability: mask ? await maskedProbability(engine, image, r.map, t, MASKED_BASELINE) : null,
    seconds: r.cost.seconds,
    forwardPasses: r.cost.forwardPasses,
    backwardPasses: r.cost.backwardPasses,
  };
  return { stored: { key: '', result, options: r.options }, map: r.map, height: r.height, width: r.width };
}

/**
 * Every image × every method, one pair at a time. Each finished pair is written atomically to
 * `<out>/pairs/<image>/<method>.{npy,json}` (the .json last: it marks the pair done), so a run
 * started again after an interruption skips what is already there.
 */
export async function runEvaluation(engine: Engine, items: readonly EvalItem[], o: RunOptions): Promise<EvalResults> {
  for (const m of o.methods) if (!findMethod(m)) throw new UsageError(`unknown method '${m}' (known: ${methodNames().join(', ')})`);
  const started = Date.now();
  const [h, w] = engine.classifier.spec.inputSize;
  const games = new Map(o.methods.map((m) => [m, new PointingGame()]));
  const pairs: PairResult[] = [];
  const total = items.length * o.methods.length;
  let restored = 0;
  for (const item of items) {
    const dir = join(o.out, 'pairs', item.id);
    await mkdir(dir, { recursive: true });
    let image: ImageInput | undefined;
    for (const method of o.methods) {
      const report = (step: string) => o.onProgress?.(pairs.length, total, { image: item.id, method, step });
      report('');
      const key = pairKey(engine, item, method, o);
      let done = await restore(dir, method, key);
      if (done) restored++;
      else {
        image ??= await loadImage(item.source, engine.classifier.spec);
        const c = await computePair(engine, image, item, method, o, report);
        c.stored.key = key;
        await writeFileAtomic(join(dir, `${method}.npy`), encodeNpy(c.map, [c.height, c.width]));
        await writeFileAtomic(join(dir, `${method}.json`), JSON.stringify(c.stored, null, 1));
        done = c;
      }
      // Pointing and energy are cheap and depend on the tolerance: always scored afresh.
      const boxes = item.boxes && item.boxes.length > 0 ? item.boxes : undefined;
      pairs.push({
        ...done.stored.result,
        pointingHit: boxes ? games.get(method)!.add(done.map, h, w, boxes, o.tolerance) : null,
        energyInBox: boxes ? energyInBoxes(done.map, w, boxes) : null,
      });
    }
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
  await writeFileAtomic(join(out, 'results.csv'), resultsCsv(r.pairs, r.summary));
}
