import type { ImageInput } from '../image/load.js';
import { labelIndex } from '../models/labels.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { argmax } from '../util/softmax.js';
import type { MethodContext, MethodResult } from './method.js';
import { modelOutputInfo } from './types.js';
import { parseOptionsOf } from './parse-options.js';
import { requireMethod } from './registry.js';

export interface ExplainRequest {
  method: string;
  /** Class index or label; default: the model's prediction. */
  target?: number | string;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: MethodContext['onProgress'];
  onFrame?: MethodContext['onFrame'];
  /** The method's own options (validated by its schema). */
  options?: Record<string, unknown>;
}

/** `explain(engine, image, {method, target, …})`: any registered method, one interface. */
export async function explain(engine: Engine, image: ImageInput, req: ExplainRequest): Promise<MethodResult> {
  const m = requireMethod(req.method);
  const options = parseOptionsOf(m, req.options);
  const target = req.target === undefined ? argmax(await engine.forward(image.pixels, 1)) : labelIndex(engine.classifier, req.target);
  const ctx: MethodContext = {
    engine,
    seed: req.seed ?? 0,
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.onFrame ? { onFrame: req.onFrame } : {}),
  };
  return { ...(await m.explain(ctx, image, target, options)), modelOutput: modelOutputInfo(engine.classifier), preprocess: engine.classifier.spec };
}
