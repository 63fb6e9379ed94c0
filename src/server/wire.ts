import type { LiveEvent, LivePrediction } from '../live/run.js';

/** Arrays travel to the page as base64: float32 little-endian, or bytes (the page decodes them back). */
export function f32ToBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function bytesToBase64(a: Uint8Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function predictionJson(p: LivePrediction): Record<string, unknown> {
  return { ...p, display: bytesToBase64(p.display) };
}

/** An event's data as JSON text, its arrays as base64. */
export function eventJson(e: LiveEvent | { event: string; data: unknown }): string {
  if (e.event === 'frame') {
    const f = (e as Extract<LiveEvent, { event: 'frame' }>).data;
    return JSON.stringify({ ...f, mask: f.mask && f32ToBase64(f.mask) });
  }
  if (e.event === 'result') {
    const r = (e as Extract<LiveEvent, { event: 'result' }>).data;
    return JSON.stringify({ ...r, map: f32ToBase64(r.map) });
  }
  return JSON.stringify(e.data);
}
