/// <reference lib="webworker" />
import { CancelledError } from '../../src/errors/cancelled-error.js';
import { livePredict, LiveRequestSchema, runLive, type LiveEvent } from '../../src/live/run.js';
import { configureRuntime, Engine, imageTensor, loadClassifier } from '../../src/web/index.js';
import type { ImageInput } from '../../src/image/geometry.js';
import type { ExplainBody } from './api.js';
import { PauseGate } from '../../src/live/pause.js';

/** What the page asks of this worker, and what it answers (see browser-compute.ts). */
export type WorkerRequest =
  | { kind: 'init'; wasmPaths: string }
  | { kind: 'predict'; id: number; model: string; image: string }
  | { kind: 'explain'; id: number; body: ExplainBody }
  | { kind: 'cancel'; id: number }
  | { kind: 'pause'; id: number }
  | { kind: 'resume'; id: number }
  | { kind: 'warm'; model: string }
  | { kind: 'register'; id: number; files: File[]; card?: Record<string, unknown>; labels?: string[] };
export type WorkerReply =
  | { kind: 'predicted'; id: number; prediction: Awaited<ReturnType<typeof livePredict>> }
  | { kind: 'event'; id: number; event: LiveEvent }
  | { kind: 'done'; id: number; outcome: 'done' | 'cancelled' }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'registered'; id: number; model: { name: string; kind: string; classes: number; input: string } };

/**
 * The page's own engine, off the main thread so the page stays responsive: onnxruntime-web (wasm,
 * threaded when the page is cross-origin isolated), the model fetched once from this server by
 * name, the image decoded by this browser.
 */
const engines = new Map<string, Promise<Engine>>();
const images = new Map<string, Promise<ImageInput>>();
const running = new Map<number, AbortController>();
const gates = new Map<number, PauseGate>();
const post = (m: WorkerReply): void => (self as unknown as DedicatedWorkerGlobalScope).postMessage(m);

function engine(model: string): Promise<Engine> {
  let e = engines.get(model);
  if (!e) {
    e = loadClassifier(new URL(`/api/models/${encodeURIComponent(model)}/model.onnx`, self.location.href).href).then((c) => new Engine(c, { ep: 'wasm' }));
    engines.set(model, e);
    e.catch(() => engines.delete(model));
  }
  return e;
}

function image(model: string, id: string): Promise<ImageInput> {
  const key = `${model}\n${id}`;
  let p = images.get(key);
  if (!p) {
    p = (async () => {
      const res = await fetch(new URL(`/api/images/${encodeURIComponent(id)}`, self.location.href));
      if (!res.ok) throw new Error(`the image is no longer on the server (${res.status}): open it again`);
      return imageTensor(await res.blob(), (await engine(model)).classifier.spec, id);
    })();
    images.set(key, p);
    p.catch(() => images.delete(key));
  }
  return p;
}

async function handle(m: WorkerRequest): Promise<void> {
  if (m.kind === 'init') return configureRuntime({ wasmPaths: m.wasmPaths });
  if (m.kind === 'warm') {
    // Load ORT, the model and its forward session while the user picks an image; failures show on first use.
    return void engine(m.model).then((e) => e.forward(new Float32Array(e.channels * e.classifier.spec.inputSize[0] * e.classifier.spec.inputSize[1]), 1)).catch(() => undefined);
  }
  if (m.kind === 'pause') return gates.get(m.id)?.pause();
  if (m.kind === 'resume') return gates.get(m.id)?.resume();
  if (m.kind === 'cancel') gates.get(m.id)?.resume();
  if (m.kind === 'cancel') return running.get(m.id)?.abort(new CancelledError({ cause: 'cancelled from the page' }));
  try {
    if (m.kind === 'register') {
      const c = await loadClassifier(m.files, { ...(m.card ? { card: m.card as never } : {}), ...(m.labels ? { labels: m.labels } : {}) });
      const name = `mine:${c.name}`;
      engines.set(name, Promise.resolve(new Engine(c, { ep: 'wasm' })));
      for (const k of [...images.keys()].filter((k) => k.startsWith(`${name}\n`))) images.delete(k);
      const input = `${c.spec.inputSize.join('x')} ${c.spec.channels} ${c.spec.layout}, ${c.spec.resize}${c.noCard ? ' (read off the graph)' : ''}`;
      post({ kind: 'registered', id: m.id, model: { name, kind: 'yours', classes: c.numClasses, input } });
      return;
    }
    if (m.kind === 'predict') {
      post({ kind: 'predicted', id: m.id, prediction: await livePredict(await engine(m.model), await image(m.model, m.image), m.model) });
      return;
    }
    const abort = new AbortController();
    const gate = new PauseGate();
    running.set(m.id, abort);
    gates.set(m.id, gate);
    const e = await engine(m.body.model);
    await runLive(e, await image(m.body.model, m.body.image), LiveRequestSchema.parse(m.body), abort.signal, (event) => post({ kind: 'event', id: m.id, event }), gate.gate);
    post({ kind: 'done', id: m.id, outcome: 'done' });
  } catch (err) {
    if (running.get(m.id)?.signal.aborted || err instanceof CancelledError) post({ kind: 'done', id: m.id, outcome: 'cancelled' });
    else post({ kind: 'failed', id: m.id, message: (err as Error).message ?? String(err) });
  } finally {
    running.delete(m.id);
    gates.delete(m.id);
  }
}

self.addEventListener('message', (e: MessageEvent<WorkerRequest>) => void handle(e.data));
