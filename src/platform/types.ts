/**
 * The platform seam: what the platform-free core (graphs, autodiff, methods, metrics) needs from
 * the place it runs. Node fills it with onnxruntime-node (platform/node.ts), the browser with
 * onnxruntime-web (platform/web.ts). Both ORT packages share onnxruntime-common's API, so the
 * shapes below are the few members of it the core calls, written out so the core imports neither.
 */

export type OrtTensorType = 'float32' | 'int64' | 'int32';

export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>, fetches?: string[]): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

/** Session settings the core asks for; each platform maps them to its ORT's session options. */
export interface SessionRequest {
  ep: string;
  threads: number;
  spin: boolean;
  /** Write ORT's optimised graph to this file (Node's graph cache). */
  saveOptimized?: string;
  /** The bytes are such an optimised graph already: skip ORT's optimisation. */
  preOptimized?: boolean;
}

export interface Platform {
  readonly name: 'node' | 'web';
  /** Execution provider names this platform accepts, for the message about an unknown one. */
  readonly providers: readonly string[];
  /** Intra-op threads when the caller sets none. */
  defaultThreads(): number;
  tensor(type: OrtTensorType, data: Float32Array | BigInt64Array | Int32Array, dims: readonly number[]): OrtTensorLike;
  createSession(bytes: Uint8Array, req: SessionRequest): Promise<OrtSessionLike>;
  /** Versions recorded in every result (neuromask, onnxruntime, the host), so a run can be reproduced. */
  versions(): Record<string, string>;
  /** What to tell the user when provider `ep` cannot start. */
  providerHint(ep: string): string;
}
