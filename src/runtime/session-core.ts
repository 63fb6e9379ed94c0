import { RuntimeError } from '../errors/runtime-error.js';
import type { OrtSessionLike, OrtTensorLike, Platform } from '../platform/types.js';

/** Node: 'cpu' | 'webgpu' | 'cuda'; browser: 'wasm' | 'webgpu'. Each platform checks its own list. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'wasm';

export interface RuntimeOptions {
  ep: ExecutionProvider;
  /** Intra-op threads; default: the platform's (Node: os.availableParallelism()). */
  threads?: number;
  /**
   * Let idle worker threads spin (ONNX Runtime's default; fastest on a quiet machine). Turn off
   * on a machine busy with other work, where spinning threads steal each other's cores.
   */
  spin?: boolean;
  /**
   * Folder of ORT-optimised graphs kept across processes (see GraphCache); false: none;
   * unset: NEUROMASK_CACHE, else <NEUROMASK_HOME>/graphs when writable. CPU provider in Node only.
   */
  cache?: string | false;
}

export interface FeedTensor {
  data: Float32Array | BigInt64Array | Int32Array;
  dims: number[];
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

export interface CreateOptions {
  /** Write ONNX Runtime's optimised graph to this file (for a graph cache). */
  saveOptimized?: string;
  /** The bytes are such an optimised graph already: skip ORT's optimisation. */
  preOptimized?: boolean;
}

export function resolveThreads(threads: number | undefined, platform: Platform): number {
  const t = threads ?? platform.defaultThreads();
  if (!Number.isInteger(t) || t < 1) throw new RuntimeError(`threads must be a positive integer, got ${threads}`);
  return t;
}

function toOrtTensor(platform: Platform, name: string, t: FeedTensor): OrtTensorLike {
  const type = t.data instanceof Float32Array ? 'float32' : t.data instanceof BigInt64Array ? 'int64' : 'int32';
  try {
    return platform.tensor(type, t.data, t.dims);
  } catch (cause) {
    throw new RuntimeError(`feed ${name}: ${(cause as Error).message}`, { cause });
  }
}

/** Callers work in float32; int64 outputs (e.g. MaxPool indices) are converted so one type flows out. */
function fromOrtTensor(t: OrtTensorLike): OutputTensor {
  const d = t.data;
  const data = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number | bigint>, Number);
  return { data, dims: [...t.dims] };
}

/** One ONNX Runtime session with the project's fixed options; feeds and results are plain arrays. */
export class Session {
  private released = false;

  constructor(
    private readonly inner: OrtSessionLike,
    readonly ep: ExecutionProvider,
    readonly threads: number,
    private readonly platform: Platform,
  ) {}

  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  async run(feeds: Record<string, FeedTensor>, outputs?: string[]): Promise<Record<string, OutputTensor>> {
    if (this.released) throw new RuntimeError('session was released', { ep: this.ep });
    const ortFeeds: Record<string, OrtTensorLike> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrtTensor(this.platform, k, v);
    let result: Record<string, OrtTensorLike>;
    try {
      result = outputs ? await this.inner.run(ortFeeds, outputs) : await this.inner.run(ortFeeds);
    } catch (cause) {
      throw new RuntimeError(`ONNX Runtime (${this.ep}) failed to run the graph: ${(cause as Error).message}`, { ep: this.ep, cause });
    }
    const out: Record<string, OutputTensor> = {};
    for (const [k, v] of Object.entries(result)) out[k] = fromOrtTensor(v);
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.inner.release();
  }
}

/** A session for `modelBytes` on `platform`, with the platform's own words for a provider that cannot start. */
export async function createSessionOn(platform: Platform, modelBytes: Uint8Array, opts: RuntimeOptions, how: CreateOptions = {}): Promise<Session> {
  // Checked here because ONNX Runtime's own message for an unknown name ("backend not found") does not list the choices.
  if (!platform.providers.includes(opts.ep)) {
    throw new RuntimeError(`unknown execution provider '${String(opts.ep)}'; use --ep ${platform.providers.join(', --ep ')}`);
  }
  const threads = resolveThreads(opts.threads, platform);
  try {
    const inner = await platform.createSession(modelBytes, { ep: opts.ep, threads, spin: opts.spin !== false, ...how });
    return new Session(inner, opts.ep, threads, platform);
  } catch (cause) {
    const msg = (cause as Error).message ?? String(cause);
    // Provider start-up failures come back as plain errors; anything else is a bad graph.
    const epFailure = opts.ep !== 'cpu' && opts.ep !== 'wasm' && /provider|adapter|shared library|backend|vulkan|cuda|webgpu/i.test(msg);
    const text = epFailure
      ? `cannot start the ${opts.ep} execution provider: ${platform.providerHint(opts.ep)} (ONNX Runtime: ${msg.split('\n')[0]})`
      : `ONNX Runtime (${opts.ep}) could not load the graph: ${msg}`;
    throw new RuntimeError(text, { ep: opts.ep, cause });
  }
}

export interface SessionKey extends RuntimeOptions {
  /** Caller's name for the graph, e.g. 'mobilenetv2-imagenet:neuromask-step'. */
  model: string;
  /** The feed shapes the graph was built for, e.g. '8x3x224x224'. */
  batch: string;
}

/**
 * Sessions are expensive to create (graph optimisation takes longer than a step), so a method
 * that runs the same graph many times keeps them here. Concurrent gets of one key share one build.
 */
export class SessionCache {
  private readonly entries = new Map<string, Promise<Session>>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly platform: Platform,
    private readonly maxEntries = Infinity,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: SessionKey, build: () => Uint8Array | Promise<Uint8Array>): Promise<Session> {
    return this.getOrCreate(key, async (opts) => createSessionOn(this.platform, await build(), opts));
  }

  /** As `get`, with the caller making the session (e.g. from a graph cache) on a miss. */
  async getOrCreate(key: SessionKey, create: (opts: RuntimeOptions) => Promise<Session>): Promise<Session> {
    const threads = resolveThreads(key.threads, this.platform);
    const spin = key.spin !== false;
    const k = JSON.stringify([key.model, key.batch, key.ep, threads, spin]);
    const hit = this.entries.get(k);
    if (hit) {
      this.hits++;
      this.entries.delete(k); // re-insert: Map order is the LRU order
      this.entries.set(k, hit);
      return hit;
    }
    this.misses++;
    const p = Promise.resolve().then(() => create({ ep: key.ep, threads, spin }));
    this.entries.set(k, p);
    p.catch(() => this.entries.get(k) === p && this.entries.delete(k)); // a failed build is not cached
    while (this.entries.size > this.maxEntries) {
      const [oldest, old] = this.entries.entries().next().value as [string, Promise<Session>];
      this.entries.delete(oldest);
      void old.then((s) => s.release(), () => undefined);
    }
    return p;
  }

  async releaseAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then((s) => s.release(), () => undefined)));
  }
}
