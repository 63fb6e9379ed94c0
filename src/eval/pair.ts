import type { ImageInput } from '../image/load.js';
import { explain } from '../methods/explain.js';
import type { MethodResult } from '../methods/method.js';
import { deletionInsertion } from '../metrics/deletion-insertion.js';
import { maskArea, maskedProbability } from '../metrics/mask-stats.js';
import type { Engine } from '../runtime/engine.js';
import type { BaseResult } from './pair-store.js';
import type { EvalItem, RunOptions } from './types.js';

/** Methods whose map is a mask in [0, 1], so that its area and what it keeps are meaningful. */
export const MASK_METHODS: ReadonlySet<string> = new Set(['neuromask', 'meaningful-perturbation', 'extremal-perturbation']);

/** Masked-out pixels become a blurred copy (σ 10 px), as in the default NeuroMask preset. */
const MASKED_BASELINE = 'blur';

/** One run of `method` with the run's options; `seed` and `target` default to the run's. */
export function runMethod(engine: Engine, image: ImageInput, method: string, o: RunOptions, at: { target?: number | string; seed?: number; onStep?: (s: string) => void }): Promise<MethodResult> {
  return explain(engine, image, {
    method,
    ...(at.target !== undefined ? { target: at.target } : {}),
    seed: at.seed ?? o.seed ?? 0,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.methodOptions?.[method] ? { options: o.methodOptions[method] } : {}),
    ...(at.onStep ? { onProgress: (d: number, t: number) => at.onStep!(`${d}/${t}`) } : {}),
  });
}

/** The method's map and its deletion/insertion and mask numbers. */
export async function computePair(engine: Engine, image: ImageInput, item: EvalItem, method: string, o: RunOptions, onStep: (s: string) => void) {
  const r = await runMethod(engine, image, method, o, { ...(item.target !== undefined ? { target: item.target } : {}), onStep });
  onStep('metrics');
  const t = r.target.index;
  const del = await deletionInsertion(engine, image, r.map, t, { mode: 'deletion' });
  const ins = await deletionInsertion(engine, image, r.map, t, { mode: 'insertion' });
  const mask = MASK_METHODS.has(method) ? (r.mask ?? r.map) : undefined;
  const result: BaseResult = {
    image: item.id,
    source: item.source,
    method,
    target: r.target,
    deletionAuc: del.auc,
    insertionAuc: ins.auc,
    maskArea: mask ? maskArea(mask) : null,
    maskedProbability: mask ? await maskedProbability(engine, image, mask, t, MASKED_BASELINE) : null,
    seconds: r.cost.seconds,
    forwardPasses: r.cost.forwardPasses,
    backwardPasses: r.cost.backwardPasses,
  };
  return { result, options: r.options, map: r.map, height: r.height, width: r.width };
}
