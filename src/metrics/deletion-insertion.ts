/**
 * RISE's causal metrics (Petsiuk et al., 2018): remove (deletion) or restore (insertion) pixels
 * from most to least salient and follow the target's probability; a good map makes deletion
 * fall fast (low AUC) and insertion rise fast (high AUC).
 */
import { makeBaseline } from '../image/baseline.js';
import type { ImageInput } from '../image/load.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { targetProbabilities } from './mask-stats.js';

export type CausalMode = 'deletion' | 'insertion';
export type Substrate = 'black' | 'mean' | 'blur';

/** Pixel indices by saliency, descending; ties by ascending index; NaN ranks last. */
export function saliencyOrder(map: ArrayLike<number>): Uint32Array {
  const v = Float64Array.from(map as ArrayLike<number>, (x) => (Number.isNaN(x) ? -Infinity : x));
  const order = Uint32Array.from({ length: v.length }, (_, i) => i);
  // Explicit comparisons: `b - a` is NaN for equal infinities, which breaks the sort.
  return order.sort((a, b) => (v[a]! > v[b]! ? -1 : v[a]! < v[b]! ? 1 : a - b));
}

/** Area under (xs, ys) by the trapezoid rule; xs must not decrease. */
export function auc(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  if (xs.length !== ys.length) throw new RangeError(`auc: ${xs.length} xs but ${ys.length} ys`);
  let s = 0;
  for (let i = 1; i < xs.length; i++) {
    const dx = xs[i]! - xs[i - 1]!;
    if (dx < 0) throw new RangeError(`auc: xs decrease at ${i}`);
    s += (dx * (ys[i]! + ys[i - 1]!)) / 2;
  }
  return s;
}

/**
 * One image per entry of `counts`: the first `counts[j]` pixels of `order` (all channels) taken
 * from the finish image, the rest from the start image. Deletion goes from `pixels` to
 * `substrate`; insertion from `substrate` to `pixels`. Images are CHW, concatenated.
 */
export function perturbedBatch(
  pixels: Float32Array,
  channels: number,
  order: ArrayLike<number>,
  counts: readonly number[],
  substrate: Float32Array,
  mode: CausalMode,
): Float32Array {
  const plane = order.length;
  const size = channels * plane;
  if (pixels.length !== size || substrate.length !== size) {
    throw new RangeError(`perturbedBatch: ${channels} channels of ${plane} pixels need ${size} values (pixels ${pixels.length}, substrate ${substrate.length})`);
  }
  const [start, finish] = mode === 'deletion' ? [pixels, substrate] : [substrate, pixels];
  const out = new Float32Array(counts.length * size);
  counts.forEach((count, j) => {
    if (!Number.isInteger(count) || count < 0 || count > plane) throw new RangeError(`perturbedBatch: count ${count} not in [0, ${plane}]`);
    const o = j * size;
    out.set(start, o);
    for (let k = 0; k < count; k++) {
      const p = order[k]!;
      for (let c = 0; c < channels; c++) out[o + c * plane + p] = finish[c * plane + p]!;
    }
  });
  return out;
}

export interface CausalOptions {
  mode: CausalMode;
  /** Pixels changed per step; default the input width (RISE: 224 on 224×224). */
  step?: number;
  /** What removed pixels become; default RISE's: black for deletion, blur for insertion. */
  substrate?: Substrate;
  /**
   * Sigma of the blur substrate in input pixels; default 5, RISE's (which truncates its kernel
   * at 11×11, a little weaker than our untruncated Gaussian).
   */
  blurSigma?: number;
  /** Images per forward pass; every pass uses this size (the last is padded) so one session serves all. */
  batchSize?: number;
}

export interface CausalCurve {
  /** Fraction of pixels changed at each point, 0 … 1 (the last step may change fewer than `step`). */
  fractions: number[];
  /** Target probability at each point. */
  scores: number[];
  auc: number;
}

/** The deletion or insertion curve of `map` for `target` on `image`. */
export async function deletionInsertion(
  engine: Engine,
  image: ImageInput,
  map: ArrayLike<number>,
  target: number,
  options: CausalOptions,
): Promise<CausalCurve> {
  const { channels, height: h, width: w, pixels } = image;
  const [mh, mw] = engine.classifier.spec.inputSize;
  if (h !== mh || w !== mw || channels !== engine.channels) {
    throw new RangeError(`image is ${channels}x${h}x${w}, the model takes ${engine.channels}x${mh}x${mw}`);
  }
  const plane = h * w;
  if (map.length !== plane) throw new RangeError(`map has ${map.length} values, the image ${h}x${w}`);
  const { mode, step = w, batchSize = 32, blurSigma = 5 } = options;
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`step must be a positive integer, got ${step}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const substrate = makeBaseline(options.substrate ?? (mode === 'deletion' ? 'black' : 'blur'), pixels, channels, h, w, blurSigma);

  const nSteps = Math.ceil(plane / step);
  const counts = Array.from({ length: nSteps + 1 }, (_, i) => Math.min(i * step, plane));
  const order = saliencyOrder(map);
  const n = Math.min(batchSize, counts.length);
  const scores: number[] = [];
  for (let s = 0; s < counts.length; s += n) {
    const chunk = counts.slice(s, s + n);
    const padded = [...chunk, ...Array<number>(n - chunk.length).fill(0)];
    const probs = await targetProbabilities(engine, perturbedBatch(pixels, channels, order, padded, substrate, mode), n, target);
    scores.push(...probs.slice(0, chunk.length));
  }
  const fractions = counts.map((c) => c / plane);
  return { fractions, scores, auc: auc(fractions, scores) };
}
