/** The server's JSON API and its event streams (fetch + a small SSE reader: EventSource cannot POST). */

export interface ModelEntry { name: string; kind: string; classes: number; input: string }
export interface MethodEntry { name: string; description: string; cheap: boolean; options: JsonSchema }
export interface JsonSchema { type?: string; properties?: Record<string, JsonSchema>; enum?: unknown[]; default?: unknown; minimum?: number; maximum?: number; anyOf?: JsonSchema[]; description?: string }
export interface StoredImage { id: string; name: string; width: number; height: number }
export type { LivePrediction as Prediction, LiveFrame as Frame, LiveResult as Result } from '../../src/live/run.js';
export type { CausalCurve as Curve } from '../../src/metrics/deletion-insertion.js';
export interface ExplainBody { model: string; image: string; method: string; target?: number; seed: number; options: Record<string, unknown>; every: number; metrics: boolean }

export class ApiError extends Error {
  override readonly name = 'ApiError';
}

async function json<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as T & { error?: string };
  if (!res.ok || body.error) throw new ApiError(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export const get = async <T>(path: string): Promise<T> => json<T>(await fetch(path));
export const post = async <T>(path: string, body: unknown): Promise<T> =>
  json<T>(await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));

export async function upload(file: Blob, name: string): Promise<StoredImage> {
  return json<StoredImage>(await fetch(`/api/images?name=${encodeURIComponent(name)}`, { method: 'POST', body: file }));
}

import type { LiveFrame, LiveResult } from '../../src/live/run.js';
import type { CausalCurve } from '../../src/metrics/deletion-insertion.js';

/** Pause and resume one running explanation (NeuroMask waits before its next step). */
export interface PauseControl {
  pause(): void;
  resume(): void;
}

export interface ExplainHandlers {
  onJob?(id: string): void;
  onPausable?(c: PauseControl): void;
  onProgress?(done: number, total: number): void;
  onFrame?(f: LiveFrame): void;
  onResult?(r: LiveResult): void;
  onMetrics?(m: { deletion: CausalCurve; insertion: CausalCurve }): void;
}

/** Run one explanation on the server; resolves 'done' or 'cancelled', rejects with the server's message. */
export async function explainOnServer(body: ExplainBody, h: ExplainHandlers, signal: AbortSignal): Promise<'done' | 'cancelled'> {
  const res = await fetch('/api/explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
  if (!res.ok || !res.body) await json(res);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return 'cancelled';
    buf += value;
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = JSON.parse(block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n') || '{}') as Record<string, unknown>;
      if (event === 'job') h.onJob?.(data['id'] as string);
      else if (event === 'progress') h.onProgress?.(data['done'] as number, data['total'] as number);
      else if (event === 'frame') {
        const f = data as unknown as Omit<LiveFrame, 'mask'> & { mask?: string };
        h.onFrame?.({ ...f, ...(f.mask ? { mask: b64ToF32(f.mask) } : {}) } as LiveFrame);
      } else if (event === 'result') {
        const r = data as unknown as Omit<LiveResult, 'map'> & { map: string };
        h.onResult?.({ ...r, map: b64ToF32(r.map) });
      } else if (event === 'metrics') h.onMetrics?.(data as unknown as { deletion: CausalCurve; insertion: CausalCurve });
      else if (event === 'error') throw new ApiError(data['error'] as string);
      else if (event === 'cancelled') return 'cancelled';
      else if (event === 'done') return 'done';
    }
  }
}

export function b64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64ToF32(s: string): Float32Array {
  const b = b64ToBytes(s);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}
