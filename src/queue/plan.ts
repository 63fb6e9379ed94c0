import type { EvalItem } from '../eval/types.js';
import { sha256 } from '../util/sha256.js';
import { canonicalJson } from './hash.js';
import type { ResultKey, Store } from './store.js';

/** What a run computes: the same settings `runEvaluation` takes. */
export interface RunSettings {
  methods: readonly string[];
  methodOptions: Readonly<Record<string, Record<string, unknown>>>;
  seed: number;
  stability: number;
  sanity: boolean;
}

export interface PlannedPair {
  item: EvalItem;
  method: string;
  key: ResultKey;
}

/** Every image × method with its result key; images are copied into the store by content. */
export async function planPairs(store: Store, modelShaHex: string, items: readonly EvalItem[], s: RunSettings): Promise<PlannedPair[]> {
  const pairs: PlannedPair[] = [];
  for (const item of items) {
    const image = await store.putInput(item.source);
    for (const method of s.methods) {
      const key: ResultKey = {
        model: modelShaHex,
        image,
        method,
        target: item.target ?? null,
        options: s.methodOptions[method] ?? {},
        stability: s.stability,
        sanity: s.sanity,
        seed: s.seed,
      };
      pairs.push({ item, method, key });
    }
  }
  return pairs;
}

/** The same pairs give the same run id: submitting a command again follows the run already queued. */
export function runId(pairs: readonly PlannedPair[]): string {
  return `r${sha256(canonicalJson(pairs.map((p) => [p.item.id, p.key]))).slice(0, 12)}`;
}
