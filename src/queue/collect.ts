import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pairKey, savePair, type StoredPair } from '../eval/pair-store.js';
import type { EvalItem, RunOptions } from '../eval/types.js';
import { decodeNpy } from '../io/npy.js';
import type { Engine } from '../runtime/engine.js';
import type { PlannedPair } from './plan.js';
import type { Store } from './store.js';

/**
 * Copies the run's results from the store into `<out>/pairs/<image>/<method>.{npy,json}` as
 * `runEvaluation` writes them, keyed as this submitter would key them: `runEvaluation` then
 * restores every pair instead of computing it, and writes the usual results and report.
 * Returns the items whose pairs are all there (an item with a failed pair is left out).
 */
export async function collectPairs(store: Store, engine: Engine, pairs: readonly PlannedPair[], o: RunOptions): Promise<EvalItem[]> {
  const missing = new Set<string>();
  for (const p of pairs) if (!(await store.hasResult(p.key))) missing.add(p.item.id);
  const complete: EvalItem[] = [];
  for (const p of pairs) {
    if (missing.has(p.item.id)) continue;
    const { json, npy } = await store.readResult(p.key);
    const stored = JSON.parse(json) as StoredPair;
    stored.key = pairKey(engine, p.item, p.method, o);
    stored.result = { ...stored.result, image: p.item.id, source: p.item.source };
    const map = decodeNpy(npy);
    const [height, width] = map.shape as [number, number];
    const dir = join(o.out, 'pairs', p.item.id);
    await mkdir(dir, { recursive: true });
    await savePair(dir, p.method, stored, { data: map.data, height, width });
    if (complete[complete.length - 1] !== p.item) complete.push(p.item);
  }
  return complete;
}
