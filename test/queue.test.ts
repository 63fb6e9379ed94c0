/**
 * Dataset runs on BullMQ: a private redis-server, `neuromask worker` processes spawned from the
 * CLI, and submitters, checked against the single-process run of the same command.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
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

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'nm-queue-'));
    await mkdir(join(tmp, 'redis'));
    redis = await TestRedis.start(join(tmp, 'redis'));
    store = join(tmp, 'store');
    images = join(tmp, 'images');
    await fashionImages(images);
  });

  after(async () => {
    for (const p of running) await p.kill('SIGKILL');
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

    for (const w of ws.slice(1)) assert.equal(await w.kill('SIGTERM'), 0, w.stderr);
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
