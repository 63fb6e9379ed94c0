import { CancelledError } from '../../src/errors/cancelled-error.js';
import { livePredict, LiveRequestSchema, runLive } from '../../src/live/run.js';
import { configureRuntime, Engine, imageTensor, loadClassifier } from '../../src/web/index.js';
import type { ImageInput } from '../../src/image/geometry.js';
import type { Compute } from './compute.js';

/**
 * The page's own engine: onnxruntime-web (wasm, threaded when the page is cross-origin isolated),
 * the model fetched once from this server by name, the image decoded by this browser.
 */
export function browserCompute(): Compute {
  configureRuntime({ wasmPaths: new URL('./ort/', location.href).href });
  const engines = new Map<string, Promise<Engine>>();
  const images = new Map<string, Promise<ImageInput>>();
  const engine = (model: string): Promise<Engine> => {
    let e = engines.get(model);
    if (!e) {
      e = loadClassifier(`/api/models/${encodeURIComponent(model)}/model.onnx`).then((c) => new Engine(c, { ep: 'wasm' }));
      engines.set(model, e);
      e.catch(() => engines.delete(model));
    }
    return e;
  };
  const image = async (model: string, id: string): Promise<ImageInput> => {
    const key = `${model}\n${id}`;
    let p = images.get(key);
    if (!p) {
      p = (async () => {
        const res = await fetch(`/api/images/${encodeURIComponent(id)}`);
        if (!res.ok) throw new Error(`the image is no longer on the server (${res.status}): open it again`);
        return imageTensor(await res.blob(), (await engine(model)).classifier.spec, id);
      })();
      images.set(key, p);
      p.catch(() => images.delete(key));
    }
    return p;
  };
  return {
    where: 'browser',
    predict: async (model, id) => livePredict(await engine(model), await image(model, id), model),
    async explain(body, h, signal) {
      const e = await engine(body.model);
      const img = await image(body.model, body.image);
      try {
        await runLive(e, img, LiveRequestSchema.parse(body), signal, (ev) => {
          if (ev.event === 'progress') h.onProgress?.(ev.data.done, ev.data.total);
          else if (ev.event === 'frame') h.onFrame?.(ev.data);
          else if (ev.event === 'result') h.onResult?.(ev.data);
          else h.onMetrics?.(ev.data);
        });
        return 'done';
      } catch (err) {
        if (signal.aborted || err instanceof CancelledError) return 'cancelled';
        throw err;
      }
    },
  };
}
