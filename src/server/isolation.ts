import type { MiddlewareHandler } from 'hono';

/**
 * Cross-origin isolation on every response: with these two headers `crossOriginIsolated` is true
 * in the page, SharedArrayBuffer exists, and onnxruntime-web can run its wasm on several threads.
 * CORP same-origin: nothing here is meant to be embedded by other sites.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
} as const;

export function isolation(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) c.res.headers.set(k, v);
  };
}
