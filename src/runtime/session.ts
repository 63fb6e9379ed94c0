import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { RuntimeError } from '../errors/runtime-error.js';

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'webgpu', 'cuda'];

export interface RuntimeOptions {
  ep: ExecutionProvider;
  /** Intra-op threads; default: os.availableParallelism(). */
  threads?: number;
  /**
   * Let idle worker threads spin (ONNX Runtime's default; fastest on a quiet machine). Turn off
   * on a machine busy with other work, where spinning threads steal each other's cores.
   */
  spin?: boolean;
  /**
   * Folder of ORT-optimised graphs kept across processes (see GraphCache); false: none;
   * unset: NEUROMASK_CACHE, else <NEUROMASK_HOME>/graphs when writable. CPU provider only.
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

/** What to tell the user when an execution provider cannot start, by provider. */
const EP_HINTS: Record<ExecutionProvider, string> = {
  cpu: 'the CPU provider ships with onnxruntime-node; reinstall it (npm install onnxruntime-node)',
  webgpu:
    'the WebGPU provider needs a GPU with a Vulkan driver (Linux: install libvulkan1 and the GPU vendor\'s Vulkan ICD); without one use --ep cpu',
  cuda:
    'the CUDA provider is not bundled with onnxruntime-node: reinstall it with ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node` on a machine with CUDA 12 and cuDNN 9, ' +
    'or use --ep webgpu (GPU) or --ep cpu',
};

function resolveThreads(threads: number | undefined): number {
  const t = threads ?? availableParallelism();
  if (!Number.isInteger(t) || t < 1) throw new RuntimeError(`threads must be a positive integer, got ${threads}`);
  return t;
}

function toOrtTensor(name: string, t: FeedTensor): ort.Tensor {
  const type = t.data instanceof Float32Array ? 'float32' : t.data instanceof BigInt64Array ? 'int64' : 'int32';
  try {
    return new ort.Tensor(type, t.data, t.dims);
  } catch (cause) {
    throw new RuntimeError(`feed ${name}: ${(cause as Error).message}`, { cause });
  }
}

/** Callers work in float32; int64 outputs (e.g. MaxPool indices) are converted so one type flows out. */
function fromOrtTensor(t: ort.Tensor): OutputTensor {
  const d = t.data;
  const data = d instanceof Float32Array ? d : Float32Array.from(d as ArrayLike<number | bigint>, Number);
  return { data, dims: [...t.dims] };
}

/** One ONNX Runtime session with the project's fixed options; feeds and results are plain arrays. */
export class Session {
  private released = false;

  constructor(
    private readonly inner: ort.InferenceSession,
    readonly ep: ExecutionProvider,
    readonly threads: number,
  ) {}

  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  async run(feeds: Record<string, FeedTensor>, outputs?: string[]): Promise<Record<string, OutputTensor>> {
    if (this.released) throw new RuntimeError('session was released', { ep: this.ep });
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrtTensor(k, v);
    let result: ort.InferenceSession.OnnxValueMapType;
    try {
      result = outputs ? await this.inner.run(ortFeeds, outputs) : await this.inner.run(ortFeeds);
    } catch (cause) {
      throw new RuntimeError(`ONNX Runtime (${this.ep}) failed to run the graph: ${(cause as Error).message}`, { ep: this.ep, cause });
    }
    const out: Record<string, OutputTensor> = {};
    for (const [k, v] of Object.entries(result)) out[k] = fromOrtTensor(v as ort.Tensor);
    return out;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.inner.release();
  }
}

export interface CreateOptions {
  /** Write ONNX Runtime's optimised graph to this file (for a graph cache). */
  saveOptimized?: string;
  /** The bytes are such an optimised graph already: skip ORT's optimisation. */
  preOptimized?: boolean;
}

export async function createSession(modelBytes: Uint8Array, opts: RuntimeOptions, how: CreateOptions = {}): Promise<Session> {
  // Checked here because ONNX Runtime's own message for an unknown name ("backend not found") does not list the choices.
  if (!EXECUTION_PROVIDERS.includes(opts.ep)) {
    throw new RuntimeError(`unknown execution provider '${String(opts.ep)}'; use --ep ${EXECUTION_PROVIDERS.join(', --ep ')}`);
  }
  const threads = resolveThreads(opts.threads);
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [opts.ep],
    graphOptimizationLevel: how.preOptimized ? 'disabled' : 'all',
    // ORT warns that an optimised CPU graph is hardware-specific; the cache key holds the CPU.
    ...(how.saveOptimized ? { optimizedModelFilePath: how.saveOptimized, logSeverityLevel: 3 as const } : {}),
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    extra: { session: { intra_op: { allow_spinning: opts.spin === false ? '0' : '1' } } },
    interOpNumThreads: 1,
    enableCpuMemArena: true,
  };
  try {
    return new Session(await ort.InferenceSession.create(modelBytes, options), opts.ep, threads);
  } catch (cause) {
    const msg = (cause as Error).message ?? String(cause);
    // Provider start-up failures come back as plain errors; anything else is a bad graph.
    const epFailure = opts.ep !== 'cpu' && /provider|adapter|shared library|backend|vulkan|cuda|webgpu/i.test(msg);
    const text = epFailure
      ? `cannot start the ${opts.ep} execution provider: ${EP_HINTS[opts.ep]} (ONNX Runtime: ${msg.split('\n')[0]})`
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

  constructor(private readonly maxEntries = Infinity) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: SessionKey, build: () => Uint8Array | Promise<Uint8Array>): Promise<Session> {
    return this.getOrCreate(key, async (opts) => createSession(await build(), opts));
  }

  /** As `get`, with the caller making the session (e.g. from a graph cache) on a miss. */
  async getOrCreate(key: SessionKey, create: (opts: RuntimeOptions) => Promise<Session>): Promise<Session> {
    const threads = resolveThreads(key.threads);
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
