import type { TargetInfo } from '../methods/types.js';
import type { MethodSummary } from '../report/summary.js';
import type { Box } from './manifest.js';

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
  /**
   * Mean pairwise Spearman ρ of the maps for seeds seed … seed+k−1 (`--stability k`); null when
   * off, NaN (null in JSON) when a map is constant and has no ranking.
   */
  stability: number | null;
  /**
   * Model-randomisation sanity check (`--sanity`): Spearman ρ between the map on the model and on
   * the model with its top layer / all layers randomised (of |map| for gradient-like methods).
   * Null when off, NaN (null in JSON) when a map is constant. Lower = depends more on the model.
   */
  sanityTop: number | null;
  sanityAll: number | null;
}

/** Which of the opt-in robustness metrics a run computed. */
export interface ExtraMetrics {
  /** Seeds per pair for the stability score; 0 = off. */
  stability: number;
  sanity: boolean;
}

export interface EvalResults extends ExtraMetrics {
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
  /** Stability across seeds: k ≥ 2 runs per pair (0 or absent = off). */
  stability?: number;
  /** Model-randomisation sanity check: 2 extra runs per pair (top layer, all layers randomised). */
  sanity?: boolean;
  signal?: AbortSignal;
  /** Pairs done (restored or computed) out of images × methods, and what runs now. */
  onProgress?: (done: number, total: number, fields: { image: string; method: string; step: string }) => void;
}
