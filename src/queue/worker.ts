import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { runEvaluation } from '../eval/runner.js';
import { loadClassifier } from '../models/classifier.js';
import { findPackageModel } from '../models/packages.js';
import { Engine } from '../runtime/engine.js';
import type { RuntimeOptions } from '../runtime/session.js';
import { PAIRS_QUEUE } from './connection.js';
import type { PairJobData, PairJobResult } from './jobs.js';
import { modelSha } from './model-files.js';
import type { Store } from './store.js';

/**
 * Lock timing. The longest event-loop stall measured inside a job (host-side loops between ONNX
 * Runtime calls, which themselves run off the loop) was 0.2 s on MobileNetV2 photos and 0.05 s on
 * Fashion-MNIST (README, "Scaling out"); the lock is renewed every lockDuration/2, so 30 s leaves
 * two orders of magnitude of headroom while a killed worker's job is picked up within ~45 s.
 */
export const LOCK_DEFAULTS = { lockDuration: 30_000, stalledInterval: 15_000 } as const;

export interface WorkerOptions {
  connection: ConnectionOptions;
  store: Store;
  concurrency: number;
  runtime: RuntimeOptions;
  lockDuration: number;
  stalledInterval: number;
  log: (line: string) => void;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Engines by model sha: each model is loaded once per worker process. */
class ModelCache {
  private readonly engines = new Map<string, Promise<Engine>>();

  constructor(
    private readonly store: Store,
    private readonly runtime: RuntimeOptions,
  ) {}

  get(sha: string, ref: string): Promise<Engine> {
    let e = this.engines.get(sha);
    if (!e) {
      e = this.load(sha, ref);
      e.catch(() => this.engines.delete(sha));
      this.engines.set(sha, e);
    }
    return e;
  }

  /** The store's copy (with the card the submitter used), else this machine's own (package / model cache). */
  private async load(sha: string, ref: string): Promise<Engine> {
    const dir = this.store.modelDir(sha);
    const copy = (await exists(join(dir, 'model.onnx'))) ? join(dir, 'model.onnx') : (await exists(join(dir, 'model.json'))) ? join(dir, 'model.json') : undefined;
    const classifier = copy && !findPackageModel(ref) ? await loadClassifier(copy) : await loadClassifier(ref);
    const got = await modelSha(classifier, ref);
    if (got !== sha) {
      throw new UnrecoverableError(`model sha mismatch: the run wants ${ref} with sha256 ${sha.slice(0, 12)}…, this worker's copy (${classifier.source}) has ${got.slice(0, 12)}…`);
    }
    return new Engine(classifier, this.runtime);
  }

  async release(): Promise<void> {
    for (const e of this.engines.values()) await (await e.catch(() => undefined))?.release();
    this.engines.clear();
  }
}

/**
 * Takes pair jobs: a result already in the store is acked at once; otherwise the pair is computed
 * by `runEvaluation` (exactly the single-process code) in a scratch folder of the store and its
 * files renamed into place. `close()` lets running jobs finish and takes no more.
 */
export function startWorker(o: WorkerOptions): { worker: Worker; close: () => Promise<void>; loopMaxMs: () => number } {
  const models = new ModelCache(o.store, o.runtime);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let worstMs = 0;
  const process = async (job: Job<PairJobData>): Promise<PairJobResult> => {
    const d = job.data;
    const started = Date.now();
    loop.reset();
    const done = (cached: boolean): PairJobResult => {
      const loopMaxMs = loop.max / 1e6;
      worstMs = Math.max(worstMs, loopMaxMs);
      return { cached, seconds: (Date.now() - started) / 1000, loopMaxMs, finishedAt: Date.now() };
    };
    if (await o.store.hasResult(d.key)) {
      o.log(`cached ${d.run} ${d.image} ${d.key.method}`);
      return done(true);
    }
    o.log(`start ${d.run} ${d.image} ${d.key.method}`);
    const engine = await models.get(d.key.model, d.modelRef);
    const tmp = await o.store.tmpDir();
    const input = o.store.inputPath(d.key.image);
    try {
      const { method } = d.key;
      await runEvaluation(engine, [{ id: 'pair', source: input, ...(d.key.target !== null ? { target: d.key.target } : {}) }], {
        methods: [method],
        out: tmp,
        seed: d.key.seed,
        methodOptions: { [method]: d.key.options },
        stability: d.key.stability,
        sanity: d.key.sanity,
      });
      await o.store.commitResult(d.key, { npy: join(tmp, 'pairs', 'pair', `${method}.npy`), json: join(tmp, 'pairs', 'pair', `${method}.json`) });
    } catch (e) {
      // Name the submitter's file, not its copy in the store.
      if (e instanceof Error) e.message = e.message.replaceAll(input, d.source);
      throw e;
    } finally {
      await o.store.removeTmp(tmp);
    }
    const r = done(false);
    o.log(`done ${d.run} ${d.image} ${d.key.method}: ${r.seconds.toFixed(2)} s, event loop max ${r.loopMaxMs.toFixed(1)} ms`);
    return r;
  };
  const worker = new Worker<PairJobData, PairJobResult>(PAIRS_QUEUE, process, {
    connection: o.connection,
    concurrency: o.concurrency,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    // A pair interrupted by a crash is safe to redo (results are keyed and renamed into place).
    maxStalledCount: 3,
  });
  worker.on('failed', (job, err) => {
    if (job) o.log(`${job.data.run} ${job.data.image} ${job.data.key.method}: attempt ${job.attemptsMade} failed: ${err.message.split('\n')[0]}`);
  });
  worker.on('error', (err) => o.log(`queue error: ${err.message}`));
  return {
    worker,
    loopMaxMs: () => worstMs,
    close: async () => {
      await worker.close();
      loop.disable();
      await models.release();
    },
  };
}
