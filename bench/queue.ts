/**
 * Queue throughput: images per minute through BullMQ with 1 and 2 `neuromask worker` processes
 * (--threads 1 each) beside the single-process loop (`runEvaluation`, 1 thread) in the same run,
 * and the queue's overhead per job on a trivial method (gradient on the 28×28 Fashion-MNIST CNN).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { readManifest } from '../src/eval/manifest.js';
import { runEvaluation } from '../src/eval/runner.js';
import type { EvalItem } from '../src/eval/types.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { connectionFromUrl, RUNS_QUEUE } from '../src/queue/connection.js';
import { planPairs, runId, type RunSettings } from '../src/queue/plan.js';
import { runCounts } from '../src/queue/run-state.js';
import { Store } from '../src/queue/store.js';
import { submitRun } from '../src/queue/submit.js';
import { Engine } from '../src/runtime/engine.js';
import { LoopStallMeter } from '../src/queue/worker.js';
import { computePair } from '../src/eval/pair.js';
import { loadImage } from '../src/image/load.js';
import { loadavg } from 'node:os';
import { NO_REDIS, TestRedis } from '../test/helpers/redis.js';
import { num, ratio, table } from './table.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'test/helpers/cli-entry.ts');

export interface QueueBenchOptions {
  /** Canvases explained with NeuroMask (default preset) per configuration. */
  images: number;
  /** Trivial jobs for the overhead row. */
  trivialJobs: number;
  /** Interleaved rounds of single / 1 worker / 2 workers; medians are reported. */
  rounds: number;
}

function startWorker(url: string, store: string): Promise<{ stop: () => Promise<void> }> {
  const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, 'worker', '--queue', url, '--store', store, '--threads', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    p.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      if (/ready/.test(log)) resolve({ stop: () => new Promise((r) => (p.once('exit', () => r()), p.kill('SIGTERM'))) });
    });
    p.once('exit', (code) => reject(new Error(`worker exited ${code}: ${log}`)));
  });
}

/** Submit through the same library calls the CLI uses and wait for the last pair; seconds. */
async function queued(url: string, storeDir: string, c: Classifier, ref: string, items: EvalItem[], s: RunSettings): Promise<number> {
  const connection = connectionFromUrl(url);
  const t0 = performance.now();
  const store = new Store(storeDir);
  const sha = await store.putModel(c, ref);
  const pairs = await planPairs(store, sha, items, s);
  const run = runId(pairs);
  await submitRun(connection, store, pairs, { run, title: 'bench', modelRef: ref, retries: 0, backoffMs: 0 });
  const runs = new Queue(RUNS_QUEUE, { connection });
  try {
    for (;;) {
      const n = await runCounts(runs, run);
      if (n.failed > 0) throw new Error(`bench run ${run}: ${n.failed} pairs failed`);
      if (n.left === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await runs.close();
  }
  return (performance.now() - t0) / 1000;
}

async function local(c: Classifier, items: EvalItem[], s: RunSettings, out: string): Promise<number> {
  const engine = new Engine(c, { ep: 'cpu', threads: 1 });
  try {
    // Warm: graphs built and sessions made once, as in a worker that has done a job.
    await runEvaluation(engine, items.slice(0, 1), { ...s, seed: s.seed + 1000, out: `${out}-warm` });
    const t0 = performance.now();
    await runEvaluation(engine, items, { ...s, out });
    return (performance.now() - t0) / 1000;
  } finally {
    await engine.release();
  }
}

/** The longest event-loop stall in one pair (method + metrics) on a warm engine, ms; the worker's lock must outlast it. */
async function longestStall(ref: string, source: string, methods: string[]): Promise<string[][]> {
  const c = await loadClassifier(ref);
  const engine = new Engine(c, { ep: 'cpu', threads: 1 });
  const image = await loadImage(source, c.spec);
  const meter = new LoopStallMeter();
  const rows: string[][] = [];
  try {
    for (const method of methods) {
      const item = { id: 'x', source };
      await computePair(engine, image, item, method, { methods: [method], out: '' }, () => {});
      meter.reset();
      const t0 = performance.now();
      await computePair(engine, image, item, method, { methods: [method], out: '' }, () => {});
      rows.push([`${c.name}, ${method}`, num((performance.now() - t0) / 1000, 2), num(meter.read(), 0)]);
    }
  } finally {
    meter.stop();
    await engine.release();
  }
  return rows;
}

/**
 * Whether ORT's session.run leaves the event loop free: a 10 ms timer's ticks during batch-32
 * forward passes, against the ticks the elapsed time would allow.
 */
async function ortTicks(ref: string): Promise<string> {
  const c = await loadClassifier(ref);
  const engine = new Engine(c, { ep: 'cpu', threads: 1 });
  const [h, w] = c.spec.inputSize;
  const px = new Float32Array(32 * engine.channels * h * w).fill(0.5);
  try {
    await engine.forward(px, 32);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await engine.forward(px, 32);
    const ms = performance.now() - t0;
    clearInterval(timer);
    return `${c.name}: 5 batch-32 forward passes took ${ms.toFixed(0)} ms; a 10 ms timer ticked ${ticks} times (${Math.floor(ms / 10)} if ORT ran off the event loop)`;
  } finally {
    await engine.release();
  }
}

async function redisCalls(url: string): Promise<number> {
  const r = new Redis(url);
  try {
    const info = await r.info('commandstats');
    return [...info.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  } finally {
    r.disconnect();
  }
}

export async function queueBench(o: QueueBenchOptions): Promise<string> {
  if (NO_REDIS) return `queue benchmark skipped: ${NO_REDIS}`;
  const tmp = await mkdtemp(join(tmpdir(), 'nm-queue-bench-'));
  await mkdir(join(tmp, 'redis'));
  const redis = await TestRedis.start(join(tmp, 'redis'));
  try {
    const canvasRef = 'fashion-canvas-cnn';
    const canvas = await loadClassifier(canvasRef);
    const items = (await readManifest(join(ROOT, 'assets/benchmarks/fashion-canvas/manifest.json'))).slice(0, o.images);
    // Rounds interleave the three set-ups so load from other work hits them alike; every run has
    // its own seed (so its own pairs and run id) and its own store, so nothing is found done.
    const times: number[][] = [[], [], []];
    let seed = 0;
    const nm = (): RunSettings => ({ methods: ['neuromask'], methodOptions: {}, seed: seed++, stability: 0, sanity: false });
    for (let r = 0; r < o.rounds; r++) {
      times[0]!.push(await local(canvas, items, nm(), join(tmp, `local-${r}`)));
      for (const n of [1, 2]) {
        const store = join(tmp, `store-${r}-${n}`);
        const workers = await Promise.all(Array.from({ length: n }, () => startWorker(redis.url, store)));
        try {
          await queued(redis.url, store, canvas, canvasRef, items.slice(0, 2 * n), nm()); // warm every worker
          times[n]!.push(await queued(redis.url, store, canvas, canvasRef, items, nm()));
        } finally {
          for (const w of workers) await w.stop();
        }
      }
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const perMin = (s: number) => (items.length / s) * 60;
    const single = med(times[0]!);
    const label = ['single process (runEvaluation, 1 thread)', 'queue, 1 worker (--threads 1)', 'queue, 2 workers (--threads 1)'];
    const rows = times.map((ts, i) => [label[i]!, items.length, num(med(ts)), ts.map((t) => num(perMin(t))).join(' / '), num(perMin(med(ts))), ratio(single, med(ts))]);
    const speed = table(['neuromask (default preset) on fashion-canvas 96×96', 'images', 'median s', 'images/min per round', 'median images/min', 'vs single process'], rows);

    // Overhead: a trivial pair (one forward and backward pass plus the metrics) through the queue vs in process.
    const fashionRef = 'fashion-mnist-cnn';
    const fashion = await loadClassifier(fashionRef);
    const fashionDir = join(ROOT, 'assets/images/fashion');
    const files = ['0-tshirt', '1-trouser', '2-pullover', '3-dress', '4-coat', '5-sandal', '6-shirt', '7-sneaker', '8-bag', '9-ankle-boot'];
    const trivial: EvalItem[] = Array.from({ length: o.trivialJobs }, (_, i) => ({ id: `i${i}`, source: join(fashionDir, `${files[i % files.length]}.png`), target: Math.floor(i / files.length) % 10 }));
    const grad = (): RunSettings => ({ methods: ['gradient'], methodOptions: {}, seed: seed++, stability: 0, sanity: false });
    const localT: number[] = [];
    const queueT: number[] = [];
    const calls: number[] = [];
    const store = join(tmp, 'store-trivial');
    const w = await startWorker(redis.url, store);
    try {
      await queued(redis.url, store, fashion, fashionRef, trivial.slice(0, 2), grad());
      for (let r = 0; r < o.rounds; r++) {
        localT.push(await local(fashion, trivial, grad(), join(tmp, `local-trivial-${r}`)));
        const before = await redisCalls(redis.url);
        queueT.push(await queued(redis.url, store, fashion, fashionRef, trivial, grad()));
        calls.push((await redisCalls(redis.url)) - before);
      }
    } finally {
      await w.stop();
    }
    const localS = med(localT);
    const queueS = med(queueT);
    const perJob = (s: number) => (s / trivial.length) * 1000;
    const overhead = table(
      ['trivial pair (gradient, fashion-mnist-cnn 28×28)', 'pairs', 'ms / pair', 'Redis commands / pair'],
      [
        ['single process', trivial.length, num(perJob(localS)), '—'],
        ['queue, 1 worker', trivial.length, num(perJob(queueS)), num(med(calls) / trivial.length)],
        ['queue overhead per job', '', num(perJob(queueS) - perJob(localS)), ''],
      ],
    );
    const stallRows = await longestStall(canvasRef, items[0]!.source, ['neuromask', 'gradient']);
    const photo = join(ROOT, '../shared/images/dog.jpg');
    if (await import('node:fs').then((fs) => fs.existsSync(photo))) stallRows.push(...(await longestStall('mobilenetv2-imagenet', photo, ['gradient', 'neuromask'])));
    const ticks = [await ortTicks(canvasRef), ...((await import('node:fs').then((fs) => fs.existsSync(photo))) ? [await ortTicks('mobilenetv2-imagenet')] : [])];
    const stalls = table(['pair (method + deletion/insertion metrics), warm, 1 thread', 's', 'longest event-loop stall, ms'], stallRows);
    return `## Queue (BullMQ on Redis ${await redisVersion(redis.url)})\n\n${speed}\n\n${overhead}\n\nRedis command counts include the workers' polling and the submitter's progress polls (every 100 ms here).\n\n${stalls}\n\n${ticks.join('.\n')}.\n\nLoad average after the queue bench: ${loadavg()[0]!.toFixed(2)}.`;
  } finally {
    await redis.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

async function redisVersion(url: string): Promise<string> {
  const r = new Redis(url);
  try {
    return (await r.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
  } finally {
    r.disconnect();
  }
}
