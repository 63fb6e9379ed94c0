import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { GraphCache } from '../src/runtime/graph-cache.js';

const pixels = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 101) / 100);

/** A fresh engine's forward pass through `dir`, counting how often the graph had to be built. */
async function forwardWith(c: Classifier, cache: string | false): Promise<{ logits: Float32Array; builds: number }> {
  const engine = new Engine(c, { ep: 'cpu', threads: 1, cache });
  let builds = 0;
  try {
    const s = await engine.session('test-forward', '1', () => {
      builds++;
      const b = engine.pixelGraph(1);
      b.output(c.outputName, 'float32', [1, c.numClasses]);
      return b.build('forward');
    });
    const out = await s.run(engine.pixelFeed(pixels, 1));
    return { logits: out[c.outputName]!.data, builds };
  } finally {
    await engine.release();
  }
}

const entries = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).sort();

describe('graph cache (ORT-optimised graphs kept across engines)', () => {
  let c: Classifier;
  let dir: string;
  before(async () => {
    c = await loadClassifier('fashion-mnist-cnn');
    dir = await mkdtemp(join(tmpdir(), 'nm-graph-cache-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a second engine loads the cached graph instead of building it, with the same results', async () => {
    const first = await forwardWith(c, dir);
    assert.equal(first.builds, 1);
    const files = await entries(dir);
    assert.deepEqual(files.map((f) => f.replace(/^[0-9a-f]{32}/, 'KEY')), ['KEY.json', 'KEY.ort.onnx'], `cache holds ${files.join(', ')}`);
    const second = await forwardWith(c, dir);
    assert.equal(second.builds, 0, 'the graph was built again despite a cache entry');
    assert.deepEqual(second.logits, first.logits);
    assert.deepEqual(await entries(dir), files, 'no temp files left behind');
  });

  const damage: [string, (model: string, meta: string) => Promise<void>][] = [
    ['truncated model file', async (model) => writeFile(model, (await readFile(model)).subarray(0, 1000))],
    ['garbage with a matching record (unreadable by ONNX Runtime)', async (model, meta) => {
      const junk = Buffer.from('not an onnx model at all');
      await writeFile(model, junk);
      const { createHash } = await import('node:crypto');
      await writeFile(meta, JSON.stringify({ sha256: createHash('sha256').update(junk).digest('hex'), size: junk.length }));
    }],
    // Still a valid protobuf, so only the recorded checksum can tell: without it, wrong logits.
    ['one byte changed in the weights', async (model) => {
      const b = await readFile(model);
      const at = Math.floor(b.length / 2);
      b[at] = b[at]! ^ 0x40;
      await writeFile(model, b);
    }],
    ['corrupt record', async (_model, meta) => writeFile(meta, '{not json')],
    ['missing model file', async (model) => rm(model)],
  ];
  for (const [name, spoil] of damage) {
    it(`a damaged entry (${name}) is rebuilt, not a crash`, async () => {
      const good = await forwardWith(c, dir);
      const [meta, model] = (await entries(dir)).map((f) => join(dir, f)) as [string, string];
      await spoil(model, meta);
      const again = await forwardWith(c, dir);
      assert.equal(again.builds, 1, 'the damaged entry was not rebuilt');
      assert.deepEqual(again.logits, good.logits);
      const after = await forwardWith(c, dir);
      assert.equal(after.builds, 0, 'the rebuilt entry was not cached again');
    });
  }

  it('deleting the folder is safe; cache: false writes nothing', async () => {
    await rm(dir, { recursive: true, force: true });
    assert.equal((await forwardWith(c, dir)).builds, 1);
    const off = await mkdtemp(join(tmpdir(), 'nm-graph-cache-off-'));
    try {
      process.env['NEUROMASK_CACHE'] = off;
      assert.equal((await forwardWith(c, false)).builds, 1);
      assert.equal((await forwardWith(c, false)).builds, 1);
      assert.deepEqual(await entries(off), []);
    } finally {
      delete process.env['NEUROMASK_CACHE'];
      await rm(off, { recursive: true, force: true });
    }
  });

  it('a different graph recipe or model gets its own entry', async () => {
    const engine = new Engine(c, { ep: 'cpu', threads: 1, cache: dir });
    const other = new Engine({ ...c, spec: { ...c.spec, mean: [0.25] } }, { ep: 'cpu', threads: 1, cache: dir });
    assert.notEqual(engine.cacheKey('a', '1'), engine.cacheKey('b', '1'));
    assert.notEqual(engine.cacheKey('a', '1'), engine.cacheKey('a', '2'));
    assert.notEqual(engine.cacheKey('a', '1'), other.cacheKey('a', '1'));
    assert.equal(engine.cacheKey('a', '1'), new Engine(c, { ep: 'cpu', cache: dir }).cacheKey('a', '1'));
  });

  it('NEUROMASK_CACHE=off turns the default cache off; a folder name turns it on', async () => {
    const saved = process.env['NEUROMASK_CACHE'];
    try {
      process.env['NEUROMASK_CACHE'] = 'off';
      assert.equal(await GraphCache.fromEnv(), undefined);
      process.env['NEUROMASK_CACHE'] = dir;
      assert.equal((await GraphCache.fromEnv())?.dir, dir);
    } finally {
      if (saved === undefined) delete process.env['NEUROMASK_CACHE'];
      else process.env['NEUROMASK_CACHE'] = saved;
    }
  });
});
