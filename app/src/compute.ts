import { b64ToBytes, explainOnServer, post, type ExplainBody, type ExplainHandlers, type ModelEntry, type Prediction } from './api.js';

/** Where the page computes: the server's Node engine (SSE), or this browser's (onnxruntime-web). */
export interface Compute {
  readonly where: 'server' | 'browser';
  predict(model: string, image: string): Promise<Prediction>;
  /** Resolves 'done' or 'cancelled'; `signal` cancels. */
  explain(body: ExplainBody, h: ExplainHandlers, signal: AbortSignal): Promise<'done' | 'cancelled'>;
  /** Get the model ready before the first request (in the browser: ORT, the graph, the forward session). */
  warm?(model: string): void;
  /** In the browser only: a model from the user's files, named `mine:<name>` from then on. */
  register?(files: File[], card?: Record<string, unknown>, labels?: string[]): Promise<ModelEntry>;
}

export const serverCompute: Compute = {
  where: 'server',
  predict: async (model, image) => {
    const p = await post<Omit<Prediction, 'display'> & { display: string }>('/api/predict', { model, image });
    return { ...p, display: b64ToBytes(p.display) };
  },
  async explain(body, h, signal) {
    let job: string | undefined;
    const onAbort = (): void => void (job && post(`/api/jobs/${job}/cancel`, {}).catch(() => undefined));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await explainOnServer(body, {
        ...h,
        onJob: (id) => {
          job = id;
          h.onPausable?.({ pause: () => void post(`/api/jobs/${id}/pause`, {}).catch(() => undefined), resume: () => void post(`/api/jobs/${id}/resume`, {}).catch(() => undefined) });
        },
      }, signal);
    } catch (e) {
      if (signal.aborted) return 'cancelled';
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  },
};
