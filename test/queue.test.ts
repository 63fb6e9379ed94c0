/**
 * Dataset runs on BullMQ: a private redis-server, `neuromask worker` processes spawned from the
 * CLI, and submitters, checked against the single-process run of the same command.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { Redis, type RedisOptions } from 'ioredis';
import { Job, Queue, Worker } from 'bullmq';
import { connectionFromUrl, PAIRS_QUEUE, RUNS_QUEUE } from '../src/queue/connection.js';
import type { PairJobData, PairJobResult } from '../src/queue/jobs.js';
import type { PlannedPair } from '../src/queue/plan.js';
import { removeRun, runCounts, runState, type RunState } from '../src/queue/run-state.js';
import { Store } from '../src/queue/store.js';
import { submitRun } from '../src/queue/submit.js';
import { CliProcess } from './helpers/cli-process.js';
import { NO_REDIS, TestRedis } from './helpers/redis.js';
import { cli } from './helpers/run-cli.js';

const ROOT = new URL('..', import.meta.url).pathname;
const FASHION = join(ROOT, 'assets/images/fashion');
/** Two methods; occlusion with 2-px steps (~170 forward passes) takes long enough to kill a worker mid-job. */
const TWO = ['--methods', 'gradient,occlusion', '--options', '{"occlusion":{"patch":4,"stride":2}}', '--threads', '1'];
const MEDIUM = ['--methods', 'occlusion', '--options', '{"occlusion":{"patch":4,"stride":2}}', '--threads', '1'];
/** Short locks so a killed worker's job is given to another within ~7 s (long enough for a busy machine). */
const WORKER = ['--threads', '1', '--lock-duration', '5000', '--stalled-interval', '2000'];
/** A hung run fails its test instead of the whole suite (generous: the machine may be busy). */
const LIMIT = { timeout: 300_000 };

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** Deep equality, numbers within `rel` relative (or equal); the path names the first difference. */
function assertClose(a: unknown, b: unknown, rel: number, path: string): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(a === b || Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${path}: ${a} vs ${b}`);
  } else if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a), Object.keys(b), path);
    for (const k of Object.keys(a)) assertClose((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], rel, `${path}.${k}`);
  } else assert.deepEqual(a, b, path);
}

/** 24 Fashion-MNIST items: the 10 bundled ones, mirrored, and 4 shifted by 2 px. */
async function fashionImages(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = (await readdir(FASHION)).filter((f) => f.endsWith('.png')).sort();
  for (const [i, f] of names.entries()) {
    const src = join(FASHION, f);
    await cp(src, join(dir, f));
    await sharp(src).flop().toFile(join(dir, `m${f}`));
    if (i < 4) await sharp(src).extend({ left: 2, background: '#000' }).extract({ left: 0, top: 0, width: 28, height: 28 }).toFile(join(dir, `s${f}`));
  }
}

describe('queue: dataset runs as BullMQ jobs', { skip: NO_REDIS }, () => {
  let tmp: string;
  let redis: TestRedis;
  let store: string;
  let images: string;
  const running: CliProcess[] = [];
  const start = (args: string[]) => {
    const p = new CliProcess(args, tmp);
    running.push(p);
    return p;
  };
  const worker = async (...extra: string[]) => {
    const w = start(['worker', '--queue', redis.url, '--store', store, ...WORKER, ...extra]);
    await w.waitFor(/ready/);
    return w;
  };
  const q = () => ['--queue', redis.url, '--store', store];
  const redisKeys = async (pattern: string) => {
    const r = new Redis(connectionFromUrl(redis.url) as RedisOptions);
    try {
      return await r.keys(pattern);
    } finally {
      r.disconnect();
    }
  };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nm-queue-'));
    await mkdir(join(tmp, 'redis'));
    redis = await TestRedis.start(join(tmp, 'redis'));
    store = join(tmp, 'store');
    images = join(tmp, 'images');
    await fashionImages(images);
  });

  // A test that failed half-way leaves no worker behind to take the next test's jobs.
  afterEach(async () => {
    for (const p of running.splice(0)) await p.kill('SIGKILL');
  });

  after(async () => {
    await redis?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  test('3 workers, one SIGKILLed mid-job: the stalled job is redone elsewhere, store and outputs equal the single-process run', LIMIT, async () => {
    const ws = [await worker(), await worker(), await worker()];
    const sub = start(['compare', images, ...TWO, ...q(), '-o', join(tmp, 'outq')]);
    const [, run, image] = await ws[0]!.waitFor(/start (\S+) (\S+) occlusion/);
    await ws[0]!.kill('SIGKILL');
    assert.equal(await sub.exited, 0, sub.stderr);
    // The submitter computed nothing itself: every pair came from the store.
    assert.match(sub.stdout, /48 pairs \(48 restored/);
    const local = cli(['compare', images, ...TWO, '-o', join(tmp, 'outl')], tmp);
    assert.equal(local.code, 0, local.stderr);

    // The killed worker's job was finished by another one (computed again, or found in the store).
    const others = ws[1]!.stderr + ws[2]!.stderr;
    assert.match(others, new RegExp(`(done|cached) ${run} ${image} occlusion`));

    // Exactly one result per key: 24 images × 2 methods, a .json and a .npy each, nothing else.
    const stored = await files(join(store, 'results'));
    assert.equal(stored.filter((f) => f.endsWith('.json')).length, 48);
    assert.equal(stored.filter((f) => f.endsWith('.npy')).length, 48);
    assert.equal(stored.length, 96, stored.join('\n'));

    // Same maps bit for bit (1 thread on both sides), same numbers but the timings.
    const maps = (await files(join(tmp, 'outl', 'pairs'))).filter((f) => f.endsWith('.npy'));
    assert.equal(maps.length, 48);
    for (const f of maps) assert.ok((await readFile(join(tmp, 'outl', 'pairs', f))).equals(await readFile(join(tmp, 'outq', 'pairs', f))), f);
    const strip = (r: { pairs: Record<string, unknown>[] }) => r.pairs.map(({ seconds: _s, ...p }) => p);
    const [rl, rq] = await Promise.all(['outl', 'outq'].map(async (d) => JSON.parse(await readFile(join(tmp, d, 'results.json'), 'utf8'))));
    assert.deepEqual(strip(rq), strip(rl));
    assert.deepEqual(rq.summary.map((s: { method: string; deletionAuc: number }) => [s.method, s.deletionAuc]), rl.summary.map((s: { method: string; deletionAuc: number }) => [s.method, s.deletionAuc]));
    assert.ok((await files(join(tmp, 'outq'))).includes('report.html'));

    // Collected without failures: nothing of the run is left in Redis (jobs, parent, stats).
    assert.deepEqual(await redisKeys(`*${run}*`), []);

    for (const w of ws.slice(1)) assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
  });

  test('explain --queue, 2 workers, one SIGKILLed mid-job: every output equals a single-process explain; its scratch folder is swept; a rerun skips', LIMIT, async () => {
    const ws = [await worker(), await worker()];
    // 600 steps (~2 s an image) so the kill lands mid-job; history frames make evolution.gif.
    const args = ['explain', FASHION, '-n', '600', '--history', '150', '--seed', '5', '--threads', '1'];
    const sub = start([...args, ...q(), '-o', join(tmp, 'xq')]);
    const [, run, image] = await ws[0]!.waitFor(/start (\S+) (\S+) neuromask/);
    await ws[0]!.kill('SIGKILL');
    assert.equal(await sub.exited, 0, sub.stderr);
    assert.match(ws[1]!.stderr, new RegExp(`(done|cached) ${run} ${image} neuromask`));
    const local = cli([...args, '-o', join(tmp, 'xl')], tmp);
    assert.equal(local.code, 0, local.stderr);

    const names = await files(join(tmp, 'xl'));
    assert.equal(names.length, 70, names.join('\n')); // 10 images × 7 files
    assert.deepEqual(await files(join(tmp, 'xq')), names);
    for (const f of names.filter((n) => !n.endsWith('result.json'))) assert.ok((await readFile(join(tmp, 'xl', f))).equals(await readFile(join(tmp, 'xq', f))), f);
    // result.json: the same but the timings.
    const timeless = async (d: string, f: string) => {
      const r = JSON.parse(await readFile(join(tmp, d, f), 'utf8')) as Record<string, unknown> & { cost: Record<string, unknown> };
      const { timings: _t, ...rest } = r;
      return { ...rest, cost: { ...r.cost, seconds: 0 } };
    };
    // Masks are bit for bit; the loss curve's terms are batch means, summed in another order by
    // the local run's batches of 8 than by the workers' batches of 1: within 1e-6 relative.
    for (const f of names.filter((n) => n.endsWith('result.json'))) assertClose(await timeless('xq', f), await timeless('xl', f), 1e-6, f);
    assert.equal(sub.stdout.split('\n').filter((l) => / → .*xq/.test(l)).length, 10);

    // The killed worker left its scratch folder; the worker that found its job stalled removed it.
    assert.match(ws[1]!.stderr, /removed 1 scratch folder\(s\) of killed workers/);
    assert.deepEqual((await readdir(join(store, 'tmp'))).filter((n) => n.includes(`-${ws[0]!.proc.pid}-`)), []);
    // A worker starting on this machine removes what a dead process left, not a live one's.
    const live = await new Store(store).tmpDir();
    const dead = join(store, 'tmp', basename(live).replace(`-${process.pid}-`, `-${spawnSync(process.execPath, ['-e', '0']).pid}-`));
    await mkdir(dead);
    const w3 = await worker();
    assert.match(w3.stderr, /removed 1 scratch folder/);
    assert.deepEqual(await readdir(join(store, 'tmp')), [basename(live)]);
    await rm(live, { recursive: true });
    assert.deepEqual(await redisKeys(`*${run}*`), []);

    // The same command again: everything already explained, nothing submitted.
    const again = cli([...args, ...q(), '-o', join(tmp, 'xq')], tmp);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /skipped 10 already explained/);
    assert.doesNotMatch(again.stderr, /run r/);
    for (const w of [ws[1]!, w3]) assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
  });

  test('explain --method … --detach returns the run id; the same command then writes the outputs a local run writes', LIMIT, async () => {
    const args = ['explain', FASHION, '--method', 'occlusion', '--options', '{"patch":4,"stride":4}', '-t', '3', '--threads', '1'];
    const detached = cli([...args, ...q(), '--detach', '-o', join(tmp, 'oq')], tmp);
    assert.equal(detached.code, 0, detached.stderr);
    const run = detached.stdout.trim();
    assert.match(run, /^r[0-9a-f]{12}$/);
    assert.deepEqual(await files(join(tmp, 'oq')).catch(() => []), []);
    const w = await worker();
    const follow = cli([...args, ...q(), '-o', join(tmp, 'oq')], tmp);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stderr, new RegExp(`run ${run}: following`));
    const local = cli([...args, '-o', join(tmp, 'ol')], tmp);
    assert.equal(local.code, 0, local.stderr);
    const names = await files(join(tmp, 'ol'));
    assert.equal(names.length, 40); // overlay.png, map.png, map.npy, result.json × 10
    assert.deepEqual(await files(join(tmp, 'oq')), names);
    for (const f of names.filter((n) => !n.endsWith('result.json'))) assert.ok((await readFile(join(tmp, 'ol', f))).equals(await readFile(join(tmp, 'oq', f))), f);
    const noTime = async (d: string, f: string) => {
      const r = JSON.parse(await readFile(join(tmp, d, f), 'utf8')) as { cost: Record<string, unknown> };
      return { ...r, cost: { ...r.cost, seconds: 0 } };
    };
    for (const f of names.filter((n) => n.endsWith('result.json'))) assert.deepEqual(await noTime('oq', f), await noTime('ol', f), f);
    assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
  });

  test('SIGTERM: the worker finishes the job it holds, takes no more, and exits 0', LIMIT, async () => {
    const w = await worker();
    const sub = cli(['compare', FASHION, ...MEDIUM, '--seed', '7', ...q(), '--detach'], tmp);
    assert.equal(sub.code, 0, sub.stderr);
    const run = sub.stdout.trim();
    const [, image] = await w.waitFor(new RegExp(`start ${run} (\\S+) occlusion`));
    const at = w.stderr.length;
    assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
    const afterTerm = w.stderr.slice(at);
    assert.match(afterTerm, new RegExp(`done ${run} ${image} occlusion`));
    assert.doesNotMatch(afterTerm, /start /);
    const status = cli(['status', '--queue', redis.url, run, '--json'], tmp);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { done: number; waiting: number; active: number };
    assert.deepEqual([s.done, s.active, s.waiting], [1, 0, 9]);
  });

  test('Redis restarted mid-run (append-only file on): the run completes', LIMIT, async () => {
    const ws = [await worker(), await worker()];
    const sub = start(['compare', FASHION, ...MEDIUM, '--seed', '3', ...q(), '-o', join(tmp, 'out-restart')]);
    const [, run] = await sub.waitFor(/run (r\w+):/);
    await Promise.race(ws.map((w) => w.waitFor(new RegExp(`done ${run} `))));
    const at = ws.map((w) => w.stderr.length);
    await redis.restart();
    assert.equal(await sub.exited, 0, sub.stderr);
    // Pairs were still finished after the restart: it did happen mid-run.
    assert.ok(ws.some((w, i) => new RegExp(`done ${run} `).test(w.stderr.slice(at[i]))), ws.map((w) => w.stderr).join('\n'));
    const r = JSON.parse(await readFile(join(tmp, 'out-restart', 'results.json'), 'utf8')) as { pairs: unknown[] };
    assert.equal(r.pairs.length, 10);
    for (const w of ws) assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
  });

  test('a corrupt image fails after its retries with its one-line error, the rest complete; status lists it, retry queues it again', LIMIT, async () => {
    const bad = join(tmp, 'bad');
    await mkdir(bad);
    for (const f of ['0-tshirt.png', '1-trouser.png', '5-sandal.png']) await cp(join(FASHION, f), join(bad, f));
    await writeFile(join(bad, 'broken.png'), (await readFile(join(FASHION, '2-pullover.png'))).subarray(0, 200));
    const w = await worker();
    const sub = cli(['compare', bad, '--methods', 'gradient', '--threads', '1', ...q(), '--retries', '1', '--retry-delay', '100', '-o', join(tmp, 'out-bad')], tmp);
    assert.equal(sub.code, 1, sub.stderr);
    const [, run] = sub.stderr.match(/run (r\w+):/)!;
    assert.match(sub.stderr, /1 of 4 pairs failed/);
    const r = JSON.parse(await readFile(join(tmp, 'out-bad', 'results.json'), 'utf8')) as { pairs: { image: string }[] };
    assert.deepEqual(r.pairs.map((p) => p.image), ['0-tshirt', '1-trouser', '5-sandal']);
    // Two attempts (--retries 1), then failed once.
    assert.equal(w.stderr.match(/broken gradient: attempt \d failed: .*cannot decode image/g)?.length, 2, w.stderr);
    const status = cli(['status', '--queue', redis.url, run!], tmp);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /3 done, 1 failed of 4/);
    const line = status.stdout.split('\n').find((l) => l.includes('failed r'))!;
    assert.match(line, /broken gradient: .*bad\/broken\.png: cannot decode image/);
    const at = w.stderr.length;
    const retry = cli(['retry', '--queue', redis.url, run!], tmp);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /1 failed pair queued again/);
    await w.waitFor(/broken gradient: attempt 2 failed/, 60_000, at);
    assert.equal(await w.kill('SIGTERM'), 0);
  });

  test('status costs a bounded number of bytes whatever the run size; finished jobs leave Redis, failed ones stay for retry; the failed listing is the first N with a count', LIMIT, async (t) => {
    // Database 1: the CLI workers of the other tests take jobs from database 0 only.
    const url = `${redis.url}/1`;
    const connection = connectionFromUrl(url);
    const st = new Store(join(tmp, 'store-status'));
    const plan = (tag: string, n: number): PlannedPair[] =>
      Array.from({ length: n }, (_, i) => ({ item: { id: `i${i}`, source: `/img/${i}.png` }, method: 'gradient', key: { model: 'm', image: `${tag}${i}`, method: 'gradient', target: null, options: {}, stability: 0, sanity: false, seed: 0 } }));
    const submit = (run: string, n: number) => submitRun(connection, st, plan(run, n), { run, title: run, modelRef: 'm', retries: 0, backoffMs: 0 });
    // A stand-in worker: fails every pair of rfail, finishes every pair of rdone.
    const w = new Worker(PAIRS_QUEUE, async (job: Job<PairJobData>) => {
      if (job.data.run === 'rfail') throw new Error('cannot decode image\nstack line');
      return { cached: true, seconds: 0, loopMaxMs: 1, finishedAt: Date.now() } satisfies PairJobResult;
    }, { connection, concurrency: 50 });
    const runs = new Queue(RUNS_QUEUE, { connection });
    const pairs = new Queue(PAIRS_QUEUE, { connection });
    const r = new Redis(connection as RedisOptions);
    try {
      await submit('rfail', 30);
      await submit('rdone', 2000);
      for (;;) {
        const [a, b] = await Promise.all([runCounts(runs, 'rfail'), runCounts(runs, 'rdone')]);
        if (a.left + b.left === 0) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      await w.close();
      await submit('rwait', 3000);
      // Finished children are gone, failed ones kept (retry needs them).
      assert.equal((await r.keys('bull:neuromask-pairs:rdone.*')).length, 0);
      assert.equal((await r.keys('bull:neuromask-pairs:rfail.*')).length, 30);

      const bytesOf = async (f: () => Promise<unknown>) => {
        const out = async () => Number(/total_net_output_bytes:(\d+)/.exec(await r.info('stats'))![1]);
        const before = await out();
        await f();
        return (await out()) - before;
      };
      for (const [run, want] of [['rdone', { done: 2000, waiting: 0, failed: 0 }], ['rwait', { done: 0, waiting: 3000, failed: 0 }]] as const) {
        let s: RunState | undefined;
        const bytes = await bytesOf(async () => (s = await runState(runs, pairs, r, run)));
        assert.deepEqual({ done: s!.done, waiting: s!.waiting, failed: s!.failed }, want);
        // Loading every job (or every child's key) would be 60 KB and more here.
        assert.ok(bytes < 8000, `${run}: ${bytes} bytes`);
        t.diagnostic(`status of ${run}: ${bytes} bytes of Redis output`);
      }
      const s = await runState(runs, pairs, r, 'rfail', 10);
      assert.equal(s.failed, 30);
      assert.equal(s.failures.length, 10);
      for (const f of s.failures) assert.equal(f.error, 'cannot decode image');
      const cliStatus = cli(['status', '--queue', url, 'rfail'], tmp);
      assert.equal(cliStatus.code, 0, cliStatus.stderr);
      assert.match(cliStatus.stdout, /0 done, 30 failed of 30/);
      assert.equal(cliStatus.stdout.split('\n').filter((l) => l.startsWith('  failed ')).length, 10);
      assert.match(cliStatus.stdout, /… and 20 more failed pairs/);

      // A collected run is removed whole: parent, children, stats.
      assert.ok(await removeRun(runs, r, 'rfail'));
      assert.deepEqual(await r.keys('*rfail*'), []);
    } finally {
      await w.close();
      await runs.close();
      await pairs.close();
      r.disconnect();
    }
  });

  test('a submitter whose model file differs from the store\'s (and its workers\') is refused', LIMIT, async () => {
    const m = join(tmp, 'model');
    await cp(join(ROOT, 'assets/models/fashion-mnist-cnn'), m, { recursive: true });
    const first = cli(['compare', join(FASHION, '0-tshirt.png'), '-m', join(m, 'model.onnx'), '--methods', 'gradient', ...q(), '--detach'], tmp);
    assert.equal(first.code, 0, first.stderr);
    // Same path, another model (retrained, say): same card, different weights.
    await cp(join(ROOT, 'assets/models/fashion-canvas-cnn/model.onnx'), join(m, 'model.onnx'));
    await cp(join(ROOT, 'assets/models/fashion-canvas-cnn/neuromask.json'), join(m, 'neuromask.json'));
    const second = cli(['compare', join(FASHION, '0-tshirt.png'), '-m', join(m, 'model.onnx'), '--methods', 'gradient', ...q(), '--detach'], tmp);
    assert.equal(second.code, 4, second.stderr);
    assert.match(second.stderr, /^neuromask: model .*model\.onnx: this file has sha256 \w+… but the store .* and its workers use sha256 \w+…/);
    assert.equal(second.stderr.trim().split('\n').length, 1);
  });
});
