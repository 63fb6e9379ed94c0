import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { explanationSummary } from '../io/explanation-files.js';
import { decodeNpy, encodeNpy } from '../io/npy.js';
import type { ImageInput } from '../image/load.js';
import { loadImage } from '../image/load.js';
import { explain } from '../methods/explain.js';
import type { MethodResult } from '../methods/method.js';
import { neuromask, type Explanation } from '../methods/neuromask/neuromask.js';
import type { Engine } from '../runtime/engine.js';
import type { ResultKey, Store } from './store.js';

/**
 * `explain --queue`'s key options: NeuroMask's options (minus batchSize, which only changes speed)
 * and the sha256 of the `--init-mask` file in the store's inputs; any other method's own options.
 */
export interface ExplainKeyOptions {
  options: Record<string, unknown>;
  initMask: string | null;
}

/** What the store holds for an explained image besides its maps (`<base>.json`). */
type StoredExplain =
  | { kind: 'neuromask'; summary: Record<string, unknown> }
  | { kind: 'method'; result: Omit<MethodResult, 'map'> };

/**
 * Computes one image as a single-process `explain` would (NeuroMask one image per batch) and writes
 * `result.json` and `maps.npy` into `tmp`: for NeuroMask the mask, the map, then each history frame,
 * stacked as [2 + frames, h, w]; for the other methods the map as [1, h, w].
 */
export async function computeExplain(engine: Engine, store: Store, k: ResultKey, tmp: string, signal?: AbortSignal): Promise<{ json: string; npy: string }> {
  const image = await loadImage(store.inputPath(k.image), engine.classifier.spec);
  const target = k.target !== null ? { target: k.target } : {};
  const { options, initMask } = k.options as unknown as ExplainKeyOptions;
  let stored: StoredExplain;
  let maps: Float32Array[];
  let h: number;
  let w: number;
  if (k.method === 'neuromask') {
    // The submitter checked the file (finite float32 logits) before it stored it.
    const initLogits = initMask !== null ? decodeNpy(await readFile(store.inputPath(initMask))).data : undefined;
    const [e] = await neuromask(engine, [{ image, ...target, ...(initLogits ? { initLogits } : {}) }], { ...options, batchSize: 1 }, signal ? { signal } : {});
    stored = { kind: 'neuromask', summary: explanationSummary(e!) };
    maps = [e!.mask, e!.map, ...e!.history.map((f) => f.mask)];
    [h, w] = [e!.height, e!.width];
  } else {
    const { map, mask: _mask, ...result } = await explain(engine, image, { method: k.method, ...target, seed: k.seed, options, ...(signal ? { signal } : {}) });
    stored = { kind: 'method', result };
    maps = [map];
    [h, w] = [result.height, result.width];
  }
  const stack = new Float32Array(maps.length * h * w);
  for (const [i, m] of maps.entries()) stack.set(m, i * h * w);
  const files = { json: join(tmp, 'result.json'), npy: join(tmp, 'maps.npy') };
  await writeFile(files.npy, encodeNpy(stack, [maps.length, h, w]));
  await writeFile(files.json, JSON.stringify(stored));
  return files;
}

/** A stored explanation, rebuilt as the Explanation or MethodResult a local run would have written. */
export type RestoredExplain = { kind: 'neuromask'; explanation: Explanation } | { kind: 'method'; result: MethodResult };

/**
 * Reads `key`'s stored result back; `image` is the submitter's own decode (its path names the
 * outputs), `options` NeuroMask's options as the submitter gave them (its batch size, not the worker's 1).
 */
export async function readExplain(store: Store, k: ResultKey, image: ImageInput, options?: Record<string, unknown>): Promise<RestoredExplain> {
  const { json, npy } = await store.readResult(k);
  const stored = JSON.parse(json) as StoredExplain;
  const { data, shape } = decodeNpy(npy);
  const [n, h, w] = shape as [number, number, number];
  const frame = (i: number) => data.slice(i * h * w, (i + 1) * h * w);
  if (stored.kind === 'method') return { kind: 'method', result: { ...stored.result, map: frame(0) } };
  const { historyIterations, ...summary } = stored.summary as { historyIterations: number[] } & Record<string, unknown>;
  if (historyIterations.length !== n - 2) throw new RangeError(`stored explanation of ${image.source}: ${n - 2} history frames for ${historyIterations.length} iterations`);
  // Key order as neuromask() makes it, so result.json reads the same; the image is the submitter's path.
  const explanation = {
    ...summary,
    image: image.source,
    ...(options ? { options } : {}),
    mask: frame(0),
    map: frame(1),
    maskLogits: new Float32Array(0),
    history: historyIterations.map((iteration, i) => ({ iteration, mask: frame(i + 2) })),
  } as unknown as Explanation;
  return { kind: 'neuromask', explanation };
}
