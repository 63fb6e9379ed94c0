import { join } from 'node:path';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { runEvaluation } from '../eval/runner.js';
import { loadClassifier } from '../models/classifier.js';
import { findPackageModel } from '../models/packages.js';
import { Engine } from '../runtime/engine.js';
import type { RuntimeOptions } from '../runtime/session.js';
import { PAIRS_QUEUE } from './connection.js';
import type { PairJobData, PairJobResult } from './jobs.js';
import { modelSha } from './model-files.js';
import { computeExplain } from './explain-result.js';
import { recordFinished } from './run-stats.js';
import { exists, type Store } from './store.js';

/**
 * Lock timing, from measurement. onnxruntime-node 1.30 runs `session.run` on the JS thread (inside
 * a setImmediate): the event loop is held for the whole of each ORT call, besides the host-side
 * loops between calls. BullMQ renews a job's lock from a timer every lockDuration / 2, so a stall
 * longer than about half the lock loses it. The longest stalls measured in a pair (method +
 * deletion/insertion metrics, whose batch-32 forward passes are the longest single calls):
 * fashion-canvas 70–155 ms; MobileNetV2 photos 2.0–2.3 s (`npm run bench -- --only queue`) and up
 * to 7.7 s in a worker on 2 threads, all with the 2-core machine 10–400× oversubscribed. 60 s
 * tolerates 30 s stalls; a killed worker's job is taken over within lockDuration + stalledInterval.
 */
export const LOCK_DEFAULTS = { lockDuration: 60_000, stalledInterval: 30_000 } as const;

/** The longest gap between ticks of a 10 ms timer since `reset()`, counting a gap still open. */
export class LoopStallMeter {
  private last = performance.now();
  private max = 0;
  private readonly timer = setInterval(() => this.tick(), 10);

  constructor() {
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    this.max = Math.max(this.max, now - this.last - 10);
    this.last = now;
  }

  reset(): void {
    this.last = performance.now();
    this.max = 0;
  }

  read(): number {
    return Math.max(this.max, performance.now() - this.last - 10, 0);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface WorkerOptions {
  connection: ConnectionOptions;
  store: Store;
  concurrency: number;
  runtime: RuntimeOptions;
  lockDuration: number;
  stalledInterval: number;
  log: (line: string) => void;
}

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

/** An evaluation pair, by `runEvaluation` (exactly the single-process code) in `tmp`. */
async function computePair(engine: Engine, d: PairJobData, input: string, tmp: string): Promise<{ npy: string; json: string }> {
  const { method } = d.key;
  await runEvaluation(engine, [{ id: 'pair', source: input, ...(d.key.target !== null ? { target: d.key.target } : {}) }], {
    methods: [method],
    out: tmp,
    seed: d.key.seed,
    methodOptions: { [method]: d.key.options },
    stability: d.key.stability,
    sanity: d.key.sanity,
  });
  return { npy: join(tmp, 'pairs', 'pair', `${method}.npy`), json: join(tmp, 'pairs', 'pair', `${method}.json`) };
}

/**
 * Takes pair jobs: a result already in the store is acked at once; otherwise the pair is computed
 * by `runEvaluation` (an `explain` image by the code a local `explain` runs) in a scratch folder of
 * the store and its files renamed into place; the run's stats in Redis get its finish time.
 * `close()` lets running jobs finish and takes no more.
 */
export function startWorker(o: WorkerOptions): { worker: Worker; close: () => Promise<void>; loopMaxMs: () => number } {
  const models = new ModelCache(o.store, o.runtime);
  const loop = new LoopStallMeter();
  const stats = new Redis(o.connection as RedisOptions);
  stats.on('error', () => undefined); // the Worker reports connection errors once
  let worstMs = 0;
  const process = async (job: Job<PairJobData>): Promise<PairJobResult> => {
    const d = job.data;
    const started = Date.now();
    loop.reset();
    const done = (cached: boolean): PairJobResult => {
      const loopMaxMs = loop.read();
      worstMs = Math.max(worstMs, loopMaxMs);
      if (loopMaxMs > o.lockDuration / 4) o.log(`warning: the event loop was held ${(loopMaxMs / 1000).toFixed(1)} s in one stretch; a stall over ${(o.lockDuration / 2000).toFixed(0)} s loses the job lock: raise --lock-duration`);
      return { cached, seconds: (Date.now() - started) / 1000, loopMaxMs, finishedAt: Date.now() };
    };
    if (await o.store.hasResult(d.key)) {
      o.log(`cached ${d.run} ${d.image} ${d.key.method}`);
      const r = done(true);
      await recordFinished(stats, d.run, r);
      return r;
    }
    const engine = await models.get(d.key.model, d.modelRef);
    const tmp = await o.store.tmpDir();
    const input = o.store.inputPath(d.key.image);
    o.log(`start ${d.run} ${d.image} ${d.key.method}`);
    try {
      await o.store.commitResult(d.key, d.key.kind === 'explain' ? await computeExplain(engine, o.store, d.key, tmp) : await computePair(engine, d, input, tmp));
    } catch (e) {
      // Name the submitter's file, not its copy in the store.
      if (e instanceof Error) e.message = e.message.replaceAll(input, d.source);
      throw e;
    } finally {
      await o.store.removeTmp(tmp);
    }
    const r = done(false);
    await recordFinished(stats, d.run, r);
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
  // A stalled job's worker is likely dead: if it ran on this machine, its scratch folder goes now.
  worker.on('stalled', () => void o.store.sweepTmp().then((n) => n > 0 && o.log(`removed ${n} scratch folder(s) of killed workers from ${o.store.dir}/tmp`), () => undefined));
  return {
    worker,
    loopMaxMs: () => worstMs,
    close: async () => {
      await worker.close();
      stats.disconnect();
      loop.stop();
      await models.release();
    },
  };
}
