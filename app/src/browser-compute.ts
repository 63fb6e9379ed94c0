import type { ModelEntry, Prediction } from './api.js';
import type { Compute } from './compute.js';
import type { WorkerReply, WorkerRequest } from './engine-worker.js';

/** Compute in this browser: requests go to the engine worker, its replies come back by id. */
export function browserCompute(): Compute {
  const worker = new Worker(new URL('./engine-worker.ts', import.meta.url), { type: 'module' });
  const send = (m: WorkerRequest): void => worker.postMessage(m);
  send({ kind: 'init', wasmPaths: new URL('./ort/', location.href).href });
  const waiting = new Map<number, (r: WorkerReply) => void>();
  worker.addEventListener('message', (e: MessageEvent<WorkerReply>) => waiting.get(e.data.id)?.(e.data));
  let next = 1;
  const ask = <T>(m: WorkerRequest & { id: number }, pick: (r: WorkerReply) => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.set(m.id, (r) => {
        waiting.delete(m.id);
        const v = pick(r);
        if (v !== undefined) resolve(v);
        else reject(new Error(r.kind === 'failed' ? r.message : `unexpected reply ${r.kind}`));
      });
      send(m);
    });
  return {
    where: 'browser',
    warm: (model) => send({ kind: 'warm', model }),
    register: (files, card, labels) =>
      ask<ModelEntry>({ kind: 'register', id: next++, files, ...(card ? { card } : {}), ...(labels ? { labels } : {}) }, (r) => (r.kind === 'registered' ? r.model : undefined)),
    predict: (model, image) => ask<Prediction>({ kind: 'predict', id: next++, model, image }, (r) => (r.kind === 'predicted' ? r.prediction : undefined)),
    explain: (body, h, signal) =>
      new Promise((resolve, reject) => {
        const id = next++;
        const onAbort = (): void => send({ kind: 'cancel', id });
        signal.addEventListener('abort', onAbort, { once: true });
        h.onPausable?.({ pause: () => send({ kind: 'pause', id }), resume: () => send({ kind: 'resume', id }) });
        waiting.set(id, (r) => {
          if (r.kind === 'event') {
            const ev = r.event;
            if (ev.event === 'progress') h.onProgress?.(ev.data.done, ev.data.total);
            else if (ev.event === 'frame') h.onFrame?.(ev.data);
            else if (ev.event === 'result') h.onResult?.(ev.data);
            else h.onMetrics?.(ev.data);
            return;
          }
          waiting.delete(id);
          signal.removeEventListener('abort', onAbort);
          if (r.kind === 'done') resolve(r.outcome);
          else reject(new Error(r.kind === 'failed' ? r.message : 'unexpected reply'));
        });
        send({ kind: 'explain', id, body });
      }),
  };
}
