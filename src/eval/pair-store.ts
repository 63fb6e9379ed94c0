import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { decodeNpy, encodeNpy } from '../io/npy.js';
import type { Engine } from '../runtime/engine.js';
import type { EvalItem, PairResult, RunOptions } from './types.js';

/** The numbers a pair's method run gives; pointing and the opt-in metrics are kept apart. */
export type BaseResult = Omit<PairResult, 'pointingHit' | 'energyInBox' | 'stability' | 'sanityTop' | 'sanityAll'>;

export interface SanityScores {
  /** ρ with the top (output) layer randomised, and with all layers (the cascade's end). NaN is stored as null. */
  top: number | null;
  all: number | null;
  topLayer: string;
  /** The target's probability under each randomised model: shows that the model really changed. */
  topProbability: number;
  allProbability: number;
}

/** `<out>/pairs/<image>/<method>.json`: the pair's settings, its numbers, and the opt-in metrics computed so far. */
export interface StoredPair {
  key: string;
  result: BaseResult;
  options: Record<string, unknown>;
  /** Absent when never computed (a pair saved without `--stability` is completed when it is asked for). */
  stability?: { k: number; value: number | null };
  sanity?: SanityScores;
}

/** What a finished pair was computed with: a restart reuses it only when this is unchanged. */
export function pairKey(engine: Engine, item: EvalItem, method: string, o: RunOptions): string {
  return JSON.stringify({ model: engine.classifier.source, preprocess: engine.classifier.spec, source: item.source, method, target: item.target ?? null, seed: o.seed ?? 0, options: o.methodOptions?.[method] ?? {} });
}

export async function restorePair(dir: string, method: string, key: string): Promise<{ stored: StoredPair; map: Float32Array } | undefined> {
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

/** The map first, then the .json that marks the pair done. */
export async function savePair(dir: string, method: string, stored: StoredPair, map?: { data: Float32Array; height: number; width: number }): Promise<void> {
  if (map) await writeFileAtomic(join(dir, `${method}.npy`), encodeNpy(map.data, [map.height, map.width]));
  await writeFileAtomic(join(dir, `${method}.json`), JSON.stringify(stored, null, 1));
}

/** JSON has no NaN: a stored null is an undefined correlation (a constant map). */
export const fromJson = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);
