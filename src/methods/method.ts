import type { z } from 'zod';
import type { ImageInput } from '../image/load.js';
import type { PreprocessSpec } from '../models/spec.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import type { AttributionMap, Cost, ModelOutputInfo, TargetInfo } from './types.js';

export interface MethodContext {
  engine: Engine;
  /** Seed for anything random (noise, random masks, initialisation). */
  seed: number;
  signal?: AbortSignal;
  /** Units of work done out of a total (iterations, batches), for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /** Optimising methods: their state after each iteration, for a live view. */
  onFrame?: (f: MethodFrame) => void;
}

/** One iteration of an optimising method (extremal and meaningful perturbation). */
export interface MethodFrame {
  iteration: number;
  iterations: number;
  /** The objective and its parts at this iteration. */
  total: number;
  terms: Record<string, number>;
  /** The target's probability on the perturbed image, where the method computes it. */
  targetProbability?: number;
  /** The map at this iteration (H×W), computed when asked for. */
  map: () => Float32Array;
}

/** Every method's output: an H×W map at the model's input resolution, larger = more important. */
export interface MethodResult extends AttributionMap {
  method: string;
  target: TargetInfo;
  cost: Cost;
  /** The validated options the method ran with. */
  options: Record<string, unknown>;
  /** Set by `explain()`: what the map explains (logits, or the model's probabilities). */
  modelOutput?: ModelOutputInfo;
  /** The classifier's preprocessing (set by `explain`). */
  preprocess?: PreprocessSpec;
  /**
   * A mask method's mask in [0, 1] when its map is not the mask itself (NeuroMask's default map
   * refines the mask); mask area and masked probability are measured on it.
   */
  mask?: Float32Array;
}

/**
 * One interface for every explanation method (captum's `attribute()`, without the inheritance):
 * a name, a zod schema that validates and defaults the options once at the edge, and `explain`.
 */
export interface ExplanationMethod<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly options: S;
  explain(ctx: MethodContext, image: ImageInput, target: number, options: z.output<S>): Promise<MethodResult>;
}

/** Helper so each method file gets its option types inferred from its schema. */
export function defineMethod<S extends z.ZodType>(m: ExplanationMethod<S>): ExplanationMethod<S> {
  return m;
}
