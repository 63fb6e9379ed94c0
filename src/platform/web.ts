import type * as OrtWeb from 'onnxruntime-web';
import { RuntimeError } from '../errors/runtime-error.js';
import type { OrtSessionLike, OrtTensorLike, Platform, SessionRequest } from './types.js';

/** Set by the browser bundle's build (vite `define`); absent when the sources are bundled by an app. */
declare const __NEUROMASK_VERSION__: string | undefined;

export type WebProvider = 'wasm' | 'webgpu';

export interface WebRuntimeConfig {
  /**
   * Folder (URL ending in '/') holding onnxruntime-web's `.wasm` and `.mjs` files. Default: `ort/`
   * beside the neuromask browser bundle (dist/browser/ort/), where `npm run build` copies them.
   */
  wasmPaths?: string;
  /** wasm threads (needs a cross-origin isolated page for more than 1). Default: 1 when not isolated, else min(4, cores). */
  numThreads?: number;
  /** 'webgpu' loads onnxruntime-web/webgpu (it runs wasm sessions too); 'wasm' the smaller wasm-only build. */
  ep?: WebProvider;
}

type Ort = typeof OrtWeb;

let config: Required<Pick<WebRuntimeConfig, 'ep'>> & WebRuntimeConfig = { ep: 'wasm' };
let loading: Promise<Ort> | undefined;
let loaded: Ort | undefined;

/**
 * Choose where onnxruntime-web's files are and how it runs; call before the first model is loaded
 * (ONNX Runtime reads these settings once, when it starts).
 */
export function configureRuntime(c: WebRuntimeConfig): void {
  if (loading) throw new RuntimeError('configureRuntime must be called before the first session: ONNX Runtime has started already');
  if (c.numThreads !== undefined && (!Number.isInteger(c.numThreads) || c.numThreads < 1)) throw new RuntimeError(`numThreads must be a positive integer, got ${c.numThreads}`);
  if (c.ep !== undefined && c.ep !== 'wasm' && c.ep !== 'webgpu') throw new RuntimeError(`unknown browser execution provider '${String(c.ep)}'; use 'wasm' or 'webgpu'`);
  config = { ...config, ...c };
}

/** The ORT build configured (loaded on first use), with its env set from `configureRuntime`. */
export function webOrt(): Promise<Ort> {
  loading ??= (async () => {
    const ort: Ort = config.ep === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    ort.env.wasm.wasmPaths = config.wasmPaths ?? defaultWasmPaths();
    ort.env.wasm.numThreads = webThreads();
    loaded = ort;
    return ort;
  })();
  return loading;
}

/**
 * `ort/` beside the prebuilt bundle (dist/browser/neuromask.js, built with the version defined);
 * from tsc's dist/platform/web.js, the same folder is ../browser/ort/. An app whose bundler moves
 * this code elsewhere passes `wasmPaths`.
 */
function defaultWasmPaths(): string {
  const dir = typeof __NEUROMASK_VERSION__ === 'string' ? 'ort/' : '../browser/ort/'; // not a literal in `new URL(...)`: bundlers would take it for an asset
  return new URL(dir, import.meta.url).href;
}

function webThreads(): number {
  if (config.numThreads !== undefined) return config.numThreads;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return isolated ? Math.max(1, Math.min(4, cores)) : 1;
}

function sessionOptions(req: SessionRequest): OrtWeb.InferenceSession.SessionOptions {
  return {
    executionProviders: [req.ep],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: true,
  };
}

/** onnxruntime-web: wasm (threads when isolated) or WebGPU. Threads are global to ORT web (`configureRuntime`). */
export const webPlatform: Platform = {
  name: 'web',
  providers: ['wasm', 'webgpu'],
  defaultThreads: () => webThreads(),
  tensor: (type, data, dims) => {
    if (!loaded) throw new RuntimeError('onnxruntime-web is not loaded yet');
    return new loaded.Tensor(type, data, dims) as OrtTensorLike;
  },
  createSession: async (bytes, req) => {
    if (req.ep === 'webgpu' && config.ep !== 'webgpu') throw new RuntimeError("the webgpu provider needs configureRuntime({ ep: 'webgpu' }) before the first session");
    const ort = await webOrt();
    return (await ort.InferenceSession.create(bytes, sessionOptions(req))) as unknown as OrtSessionLike;
  },
  versions: () => ({
    neuromask: typeof __NEUROMASK_VERSION__ === 'string' ? __NEUROMASK_VERSION__ : 'unknown',
    onnxruntime: loaded?.env.versions.web ?? 'unknown',
    browser: (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? 'unknown',
  }),
  providerHint: (ep) =>
    ep === 'webgpu'
      ? 'this browser offers no WebGPU adapter (Chromium: chrome://gpu; headless needs --enable-unsafe-webgpu); use the wasm provider'
      : `onnxruntime-web could not start ${ep}`,
};
