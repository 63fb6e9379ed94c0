/** Statistics of a soft mask, and what the classifier says about the image it keeps. */
import { makeBaseline } from '../image/baseline.js';
import type { ImageInput } from '../image/load.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { toProbabilities } from '../util/softmax.js';

const clip01 = (v: number): number => Math.min(1, Math.max(0, v));

/** Fraction of the image the mask keeps: the mean of the mask clipped to [0, 1]. */
export function maskArea(map: ArrayLike<number>): number {
  if (map.length === 0) throw new RangeError('maskArea: empty map');
  let s = 0;
  for (let i = 0; i < map.length; i++) s += clip01(map[i]!);
  return s / map.length;
}

export function minMax(map: ArrayLike<number>): { min: number; max: number } {
  if (map.length === 0) throw new RangeError('minMax: empty map');
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    min = Math.min(min, map[i]!);
    max = Math.max(max, map[i]!);
  }
  return { min, max };
}

export interface MaskedProbabilityOptions {
  /** Gaussian sigma of the 'blur' baseline in input pixels; default 10, as the default preset. */
  blurSigma?: number;
}

/**
 * The target's probability on x·m + b·(1 − m), in [0, 1] pixel space before the model's
 * normalisation (as NeuroMask applies its mask). The mask is clipped to [0, 1], as in `maskArea`.
 */
export async function maskedProbability(
  engine: Engine,
  image: ImageInput,
  mask: ArrayLike<number>,
  target: number,
  baseline: 'black' | 'blur' | 'mean',
  { blurSigma = 10 }: MaskedProbabilityOptions = {},
): Promise<number> {
  const { channels, height: h, width: w, pixels } = image;
  const plane = h * w;
  if (mask.length !== plane) throw new RangeError(`maskedProbability: mask has ${mask.length} values, the image ${h}x${w}`);
  const b = makeBaseline(baseline, pixels, channels, h, w, blurSigma);
  const x = new Float32Array(pixels.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) {
      const m = clip01(mask[i]!);
      const k = c * plane + i;
      x[k] = pixels[k]! * m + b[k]! * (1 - m);
    }
  }
  return (await targetProbabilities(engine, x, 1, target))[0]!;
}

/** The target's probability for each of `n` images (softmax unless the model outputs probabilities). */
export async function targetProbabilities(engine: Engine, pixels: Float32Array, n: number, target: number): Promise<number[]> {
  const { numClasses, outputKind } = engine.classifier;
  if (!Number.isInteger(target) || target < 0 || target >= numClasses) {
    throw new RangeError(`target ${target} is not a class index in [0, ${numClasses})`);
  }
  const expected = n * engine.channels * engine.classifier.spec.inputSize[0] * engine.classifier.spec.inputSize[1];
  if (pixels.length !== expected) throw new RangeError(`${pixels.length} pixel values given, ${n} images at the model's input size need ${expected}`);
  const out = await engine.forward(pixels, n);
  return Array.from({ length: n }, (_, j) => toProbabilities(out.subarray(j * numClasses, (j + 1) * numClasses), outputKind)[target]!);
}
