import { readFile } from 'node:fs/promises';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { toJSONSchema } from 'zod';
import { methodNames, requireMethod } from '../methods/registry.js';
import { CancelledError } from '../errors/cancelled-error.js';
import { parseInput } from '../errors/parse-input.js';
import { argmax } from '../util/softmax.js';
import { writeModel } from '../onnx/write.js';
import { livePredict, LiveRequestSchema, runLive, type LiveEvent } from '../live/run.js';
import { loadImage } from '../image/load.js';
import { HttpError, httpError } from './errors.js';
import { checkImage, ImageStore, listExamples, MAX_UPLOAD_BYTES, readExample, type Example } from './images.js';
import { isolation } from './isolation.js';
import { PauseGate } from '../live/pause.js';
import type { ModelPool } from './models.js';
import type { Engine } from '../runtime/engine.js';
import type { ImageInput } from '../image/geometry.js';
import type { ResultsBrowser } from './results.js';
import { staticFiles } from './static.js';
import { eventJson, f32ToBase64, predictionJson } from './wire.js';

export interface AppOptions {
  pool: ModelPool;
  results?: ResultsBrowser;
  /** The built page (dist/app). */
  pageDir: string;
}

/** Methods the page runs as soon as an image is open: one or two passes each. */
export const CHEAP_METHODS = ['gradient', 'grad-cam'];

/** An image decoded and resized by sharp for the engine's model, named as the page named it. */
async function decode(engine: Engine, bytes: Uint8Array, name: string): Promise<ImageInput> {
  return { ...(await loadImage(bytes, engine.classifier.spec)), source: name };
}

async function body<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch (cause) {
    throw new HttpError(400, 'the request body is not JSON', { cause });
  }
  return parseInput(schema, raw, { noun: 'field', owner: 'the request' });
}

/** The JSON API, the event streams and the page, all behind the isolation headers. */
export function createApp(o: AppOptions): { app: Hono; cancelAll: () => void } {
  const app = new Hono();
  const images = new ImageStore();
  const jobs = new Map<string, { abort: AbortController; pause: PauseGate }>();
  let examples: Promise<Example[]> | undefined;
  let nextJob = 1;
  let queue: Promise<unknown> = Promise.resolve();
  const predicted = new Map<string, number>();

  app.use('*', isolation());
  app.onError((e, c) => {
    const { status, message } = httpError(e);
    return c.json({ error: message }, status as 400);
  });

  app.get('/api/models', async (c) => c.json({ models: await o.pool.list(), preferred: o.pool.preferred ?? null }));
  // The page's in-browser engine loads the model as the server has it (TF.js already converted, the
  // softmax already removed) with a card that says so; by name only, like every other route.
  app.get('/api/models/:name/model.onnx', async (c) => {
    const engine = await o.pool.engine(c.req.param('name'));
    return c.body(writeModel(engine.classifier.graph) as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-cache' });
  });
  app.get('/api/models/:name/model.json', async (c) => {
    const k = (await o.pool.engine(c.req.param('name'))).classifier;
    return c.json({ name: k.name, preprocess: k.spec, ...(k.labels ? { labels: k.labels } : {}), input: k.inputName, output: k.outputName, outputKind: k.outputKind });
  });
  app.get('/api/methods', (c) =>
    c.json({
      methods: methodNames().map((name) => {
        const m = requireMethod(name);
        return { name, description: m.description, cheap: CHEAP_METHODS.includes(name), options: toJSONSchema(m.options, { unrepresentable: 'any' }) };
      }),
    }),
  );
  app.get('/api/examples', async (c) => c.json({ examples: (await (examples ??= listExamples())).map((e) => e.name) }));
  app.post('/api/examples/open', async (c) => {
    const { name } = await body(c, z.strictObject({ name: z.string() }));
    const bytes = await readExample(await (examples ??= listExamples()), name);
    const img = images.put(await checkImage(bytes, name));
    return c.json({ id: img.id, name: img.name, width: img.width, height: img.height });
  });
  app.post('/api/images', bodyLimit({ maxSize: MAX_UPLOAD_BYTES, onError: (c) => c.json({ error: `the upload is larger than the ${MAX_UPLOAD_BYTES / 1024 / 1024} MB limit` }, 413) }), async (c) => {
    const name = (c.req.query('name') ?? 'upload').replace(/[^\w. -]/g, '_').slice(0, 100);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const img = images.put(await checkImage(bytes, name));
    return c.json({ id: img.id, name: img.name, width: img.width, height: img.height });
  });
  app.get('/api/images/:id', (c) => {
    const img = images.get(c.req.param('id'));
    return c.body(img.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/octet-stream' });
  });
  app.post('/api/predict', async (c) => {
    const req = await body(c, z.strictObject({ model: z.string().min(1), image: z.string().min(1) }));
    const engine = await o.pool.engine(req.model);
    const img = images.get(req.image);
    return c.json(predictionJson(await livePredict(engine, await decode(engine, img.bytes, img.name), req.model)));
  });
  app.post('/api/explain', async (c) => {
    const req = await body(c, LiveRequestSchema);
    const engine = await o.pool.engine(req.model);
    const stored = images.get(req.image);
    const image = await decode(engine, stored.bytes, stored.name);
    const id = String(nextJob++);
    const abort = new AbortController();
    const pause = new PauseGate();
    jobs.set(id, { abort, pause });
    // A cancelled paused run must wake up to see its signal.
    abort.signal.addEventListener('abort', () => pause.resume(), { once: true });
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort(new CancelledError({ cause: 'the page closed the stream' })));
      // Writes are chained so events keep their order and all are out before the stream closes.
      let written: Promise<void> = Promise.resolve();
      const send = (e: LiveEvent | { event: string; data: unknown }): void => {
        written = written.then(() => stream.writeSSE({ event: e.event, data: eventJson(e) }));
      };
      send({ event: 'job', data: { id } });
      // One explanation at a time: two would only share the same cores.
      const run = queue.then(() => runLive(engine, image, req, abort.signal, send, pause.gate));
      queue = run.catch(() => undefined);
      try {
        await run;
        send({ event: 'done', data: {} });
      } catch (e) {
        if (abort.signal.aborted || e instanceof CancelledError) send({ event: 'cancelled', data: {} });
        else send({ event: 'error', data: { error: httpError(e).message } });
      } finally {
        jobs.delete(id);
        await written.catch(() => undefined);
      }
    });
  });
  const job = (id: string): { abort: AbortController; pause: PauseGate } => {
    const j = jobs.get(id);
    if (!j) throw new HttpError(404, `no running job ${id}`);
    return j;
  };
  app.post('/api/jobs/:id/cancel', (c) => {
    job(c.req.param('id')).abort.abort(new CancelledError({ cause: 'cancelled from the page' }));
    return c.json({ cancelled: true });
  });
  app.post('/api/jobs/:id/pause', (c) => {
    job(c.req.param('id')).pause.pause();
    return c.json({ paused: true });
  });
  app.post('/api/jobs/:id/resume', (c) => {
    job(c.req.param('id')).pause.resume();
    return c.json({ paused: false });
  });

  app.get('/api/results', async (c) => {
    const r = o.results;
    if (!r) return c.json({ results: null });
    if (predicted.size === 0 && (await o.pool.list()).some((m) => m.name === r.results.model)) {
      const engine = await o.pool.engine(r.results.model);
      for (const img of r.results.images) {
        const bytes = await readFile(r.sourceOf(img.id)).catch(() => undefined);
        if (!bytes) continue;
        const input = await decode(engine, bytes, img.id);
        predicted.set(img.id, argmax(await engine.forward(input.pixels, 1)));
      }
    }
    return c.json({ results: r.view(predicted) });
  });
  app.post('/api/results/open', async (c) => {
    const r = o.results;
    if (!r) throw new HttpError(404, 'the server was started without --results');
    const { image, method } = await body(c, z.strictObject({ image: z.string(), method: z.string() }));
    const map = await r.map(image, method);
    const stored = images.put(await checkImage(await readFile(r.sourceOf(image)), image));
    return c.json({ image: stored.id, model: r.results.model, height: map.height, width: map.width, map: f32ToBase64(map.data), signed: map.data.some((v) => v < 0) });
  });

  app.all('/api/*', (c) => c.json({ error: `no such API route: ${c.req.method} ${c.req.path}` }, 404));
  app.use('*', staticFiles(o.pageDir));
  return { app, cancelAll: () => jobs.forEach((j) => j.abort.abort(new CancelledError({ cause: 'server stopping' }))) };
}
