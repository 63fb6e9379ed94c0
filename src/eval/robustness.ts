/**
 * The opt-in robustness metrics of `compare` / `evaluate`: stability across seeds
 * (`--stability k`) and the model-randomisation sanity check (`--sanity`, Adebayo et al. 2018).
 */
import { UsageError } from '../errors/usage-error.js';
import type { ImageInput } from '../image/load.js';
import { targetProbabilities } from '../metrics/mask-stats.js';
import { meanPairwiseSpearman, spearman } from '../metrics/rank-correlation.js';
import { cascadingRandomisations } from '../metrics/sanity.js';
import { Engine } from '../runtime/engine.js';
import { runMethod } from './pair.js';
import type { SanityScores } from './pair-store.js';
import type { RunOptions } from './types.js';

/** Signed attributions: the sanity check compares |map|, since randomisation often flips signs. */
export const GRADIENT_LIKE: ReadonlySet<string> = new Set(['gradient', 'smoothgrad', 'integrated-gradients']);

/** A map with NaN cannot be ranked: its correlation is undefined (NaN), like a constant map's. */
function orNaN(f: () => number): number {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError && /NaN/.test(e.message)) return NaN;
    throw e;
  }
}

/**
 * Mean pairwise Spearman ρ of the k maps for seeds seed, seed+1, …, seed+k−1 (the first is the
 * pair's own map). Every method is run k times: a deterministic one honestly scores 1.
 */
export async function stabilityScore(engine: Engine, image: ImageInput, method: string, target: number, map: Float32Array, k: number, o: RunOptions, onStep: (s: string) => void): Promise<number> {
  const maps = [map];
  for (let j = 1; j < k; j++) {
    onStep(`stability ${j + 1}/${k}`);
    maps.push((await runMethod(engine, image, method, o, { target, seed: (o.seed ?? 0) + j })).map);
  }
  return orNaN(() => meanPairwiseSpearman(maps));
}

/**
 * The first and last checkpoints of the cascade (top layer randomised; all layers randomised),
 * built once per run with the run's seed and shared by every pair.
 */
export class RandomisedModels {
  private engines: { top: Engine; all: Engine; topLayer: string } | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly seed: number,
  ) {}

  get(): { top: Engine; all: Engine; topLayer: string } {
    if (this.engines) return this.engines;
    const cascade = cascadingRandomisations(this.engine.classifier, this.seed);
    const first = cascade[0];
    const last = cascade[cascade.length - 1];
    if (!first || !last) throw new UsageError(`--sanity: ${this.engine.classifier.name} has no Conv, Gemm or MatMul weights to randomise`);
    const top = new Engine(first.classifier, this.engine.runtime, this.engine.control);
    const all = cascade.length === 1 ? top : new Engine(last.classifier, this.engine.runtime, this.engine.control);
    this.engines = { top, all, topLayer: first.layer };
    return this.engines;
  }

  async release(): Promise<void> {
    if (!this.engines) return;
    const { top, all } = this.engines;
    this.engines = undefined;
    await top.release();
    if (all !== top) await all.release();
  }
}

/**
 * Spearman ρ between the pair's map and the same method's map (same seed, same target) on each
 * randomised model; |map| for gradient-like methods. High ρ = the map ignores the model.
 */
export async function sanityScores(models: RandomisedModels, image: ImageInput, method: string, target: number, map: Float32Array, o: RunOptions, onStep: (s: string) => void): Promise<SanityScores> {
  const prep = (m: Float32Array): Float32Array => (GRADIENT_LIKE.has(method) ? m.map(Math.abs) : m);
  const original = prep(map);
  const { top, all, topLayer } = models.get();
  const score = async (e: Engine, step: string): Promise<[number, number]> => {
    onStep(step);
    const m = prep((await runMethod(e, image, method, o, { target })).map);
    const [p] = await targetProbabilities(e, image.pixels, 1, target);
    return [orNaN(() => spearman(original, m)), p!];
  };
  const [t, tp] = await score(top, 'sanity: top layer random');
  const [a, ap] = all === top ? [t, tp] : await score(all, 'sanity: all layers random');
  return { top: t, all: a, topLayer, topProbability: tp, allProbability: ap };
}
