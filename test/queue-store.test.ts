import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { queueFlags } from '../src/cli/queue-options.js';
import { UsageError } from '../src/errors/usage-error.js';
import { connectionFromUrl } from '../src/queue/connection.js';
import { canonicalJson } from '../src/queue/hash.js';
import { Store, type ResultKey } from '../src/queue/store.js';
import { cli } from './helpers/run-cli.js';

const KEY: ResultKey = { model: 'a'.repeat(64), image: 'b'.repeat(64), method: 'gradient', target: null, options: { steps: 8, rule: 'x' }, stability: 0, sanity: false, seed: 0 };

test('canonical JSON ignores key order at every level, not values', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: '1' }));
});

test('a result key names one file: every field of the key changes it, option order does not', () => {
  const store = new Store('/s');
  const base = store.resultBase(KEY);
  const changes: Partial<ResultKey>[] = [
    { model: 'c'.repeat(64) },
    { image: 'd'.repeat(64) },
    { method: 'smoothgrad' },
    { target: 3 },
    { target: 'Sneaker' },
    { target: 'Sneaker/boot' },
    { options: { steps: 9, rule: 'x' } },
    { stability: 3 },
    { sanity: true },
    { seed: 1 },
    { kind: 'explain' },
  ];
  const seen = new Set([base]);
  for (const c of changes) {
    const b = store.resultBase({ ...KEY, ...c });
    assert.ok(!seen.has(b), `${JSON.stringify(c)} gives a path already used: ${b}`);
    assert.ok(b.startsWith('/s/results/'), b);
    seen.add(b);
  }
  assert.equal(store.resultBase({ ...KEY, options: { rule: 'x', steps: 8 } }), base);
});

test('committing a result twice leaves one result (rename over), readable as written', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nm-store-'));
  try {
    const store = new Store(dir);
    for (const round of [1, 2]) {
      const tmp = await store.tmpDir();
      await writeFile(join(tmp, 'm.npy'), `npy${round}`);
      await writeFile(join(tmp, 'm.json'), `{"round":${round}}`);
      await store.commitResult(KEY, { npy: join(tmp, 'm.npy'), json: join(tmp, 'm.json') });
      await store.removeTmp(tmp);
    }
    assert.ok(await store.hasResult(KEY));
    const files = (await readdir(join(dir, 'results'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    assert.equal(files.length, 2);
    const r = await store.readResult(KEY);
    assert.equal(r.json, '{"round":2}');
    assert.equal(Buffer.from(r.npy).toString(), 'npy2');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a worker's sweep removes the scratch folders of dead workers on this machine only", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'nm-store-'));
  try {
    const store = new Store(dir);
    const mine = await store.tmpDir();
    const host = basename(mine).slice(0, -`-${process.pid}-`.length - 12);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const names = [`${host}-${dead}-0123456789ab`, `${host}-${dead}-ba9876543210`, `other.host-${dead}-0123456789ab`, `${host}-${dead}-notascratch`];
    for (const n of names) {
      await mkdir(join(dir, 'tmp', n));
      await writeFile(join(dir, 'tmp', n, 'maps.npy'), 'half');
    }
    assert.equal(await store.sweepTmp(), 2);
    assert.deepEqual((await readdir(join(dir, 'tmp'))).sort(), [basename(mine), names[2], names[3]].sort());
    assert.equal(await store.sweepTmp(), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--queue URLs: host, port, db; anything else is a usage error naming the form', () => {
  assert.deepEqual(
    (({ host, port, db }) => ({ host, port, db }))(connectionFromUrl('redis://10.0.0.5:6380/2') as { host: string; port: number; db: number }),
    { host: '10.0.0.5', port: 6380, db: 2 },
  );
  assert.equal((connectionFromUrl('redis://h') as { port: number }).port, 6379);
  for (const bad of ['10.0.0.5:6379', 'http://h:1', 'redis://h:1/x']) {
    assert.throws(() => connectionFromUrl(bad), (e: unknown) => e instanceof UsageError && /redis:\/\/host:port|database/.test(e.message), bad);
  }
});

test('explain --store or --detach without --queue, or --queue without --store: a one-line usage error (exit 2), nothing written', async () => {
  assert.throws(() => queueFlags({ store: 's' }), (e: unknown) => e instanceof UsageError && /need --queue/.test(e.message));
  assert.throws(() => queueFlags({ queue: 'redis://h:1' }), (e: unknown) => e instanceof UsageError && /--queue needs --store/.test(e.message));
  assert.equal(queueFlags({}), undefined);
  const dir = await mkdtemp(join(tmpdir(), 'nm-store-'));
  try {
    const img = new URL('../assets/images/fashion/0-tshirt.png', import.meta.url).pathname;
    for (const [extra, why] of [[['--store', 'st'], /need --queue/], [['--queue', 'redis://127.0.0.1:1'], /--queue needs --store/]] as const) {
      const r = cli(['explain', img, ...extra, '-o', 'out'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(await readdir(dir), []);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
