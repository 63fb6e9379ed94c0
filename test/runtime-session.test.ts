import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuntimeError } from '../src/errors/runtime-error.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { createSession, SessionCache, type ExecutionProvider } from '../src/runtime/session.js';

/** y = Relu(x @ W + b), plus argmax(y) as an int64 output. */
function tinyModel(): Uint8Array {
  const b = new GraphBuilder();
  b.input('x', 'float32', ['N', 2]);
  const w = b.floats([2, 3], [1, 2, 3, -1, -2, -3], 'W');
  const bias = b.floats([3], [0.5, 0, -10], 'b');
  const mm = b.add('MatMul', ['x', w]);
  const add = b.add('Add', [mm, bias]);
  b.push('Relu', [add], ['y']);
  b.push('ArgMax', ['y'], ['k'], { axis: 1, keepdims: 0 });
  b.output('y', 'float32', ['N', 3]);
  b.output('k', 'int64', ['N']);
  return writeModel(b.build());
}

describe('Session', () => {
  it('runs a tiny graph and gives the hand-computed result', async () => {
    const s = await createSession(tinyModel(), { ep: 'cpu', threads: 1 });
    assert.deepEqual(s.inputNames, ['x']);
    assert.deepEqual(s.outputNames, ['y', 'k']);
    const out = await s.run({ x: { data: Float32Array.from([3, 1, 0, 2]), dims: [2, 2] } });
    // row 1: [3-1, 6-2, 9-3] + b = [2.5, 4, -4] -> relu; row 2: [-2, -4, -6] + b -> [0, 0, 0]
    assert.deepEqual([...out['y']!.data], [2.5, 4, 0, 0, 0, 0]);
    assert.deepEqual(out['y']!.dims, [2, 3]);
    assert.ok(out['k']!.data instanceof Float32Array, 'int64 outputs come back as float32');
    assert.deepEqual([...out['k']!.data], [1, 0]);
    const only = await s.run({ x: { data: Float32Array.from([1, 0]), dims: [1, 2] } }, ['y']);
    assert.deepEqual(Object.keys(only), ['y']);
    await s.release();
    await assert.rejects(s.run({ x: { data: Float32Array.from([1, 0]), dims: [1, 2] } }), RuntimeError);
  });

  it('accepts a thread count and defaults to the machine', async () => {
    const s = await createSession(tinyModel(), { ep: 'cpu', threads: 2 });
    assert.equal(s.threads, 2);
    await s.release();
    const d = await createSession(tinyModel(), { ep: 'cpu' });
    assert.ok(d.threads >= 1);
    await d.release();
    await assert.rejects(createSession(tinyModel(), { ep: 'cpu', threads: 0 }), RuntimeError);
  });

  it('rejects an unknown execution provider with RuntimeError', async () => {
    await assert.rejects(createSession(tinyModel(), { ep: 'tpu' as ExecutionProvider }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.match(e.message, /unknown execution provider 'tpu'.*--ep cpu/);
      return true;
    });
  });

  it('turns a provider that cannot start into RuntimeError with advice (or runs where it can)', async () => {
    for (const [ep, advice] of [['webgpu', /Vulkan.*--ep cpu/], ['cuda', /ONNXRUNTIME_NODE_INSTALL=cuda12/]] as const) {
      try {
        const s = await createSession(tinyModel(), { ep, threads: 1 });
        await s.release(); // a machine with the provider
      } catch (e) {
        assert.ok(e instanceof RuntimeError, String(e));
        assert.equal(e.ep, ep);
        assert.match(e.message, advice);
      }
    }
  });

  it('reports a broken graph as RuntimeError', async () => {
    await assert.rejects(createSession(Uint8Array.from([1, 2, 3]), { ep: 'cpu', threads: 1 }), RuntimeError);
  });
});

describe('SessionCache', () => {
  it('hits on the same key, misses on another batch, ep, thread count or spinning', async () => {
    const cache = new SessionCache();
    let builds = 0;
    const build = (): Uint8Array => (builds++, tinyModel());
    const key = { model: 'tiny', batch: '1x2', ep: 'cpu', threads: 1 } as const;
    const [a, b] = await Promise.all([cache.get(key, build), cache.get(key, build)]);
    assert.equal(a, b);
    assert.equal(builds, 1);
    await cache.get({ ...key, batch: '4x2' }, build);
    await cache.get({ ...key, threads: 2 }, build);
    const quiet = await cache.get({ ...key, spin: false }, build);
    assert.equal(builds, 4, 'a session whose threads do not spin is a different session');
    assert.notEqual(quiet, a);
    assert.deepEqual([...(await quiet.run({ x: { data: Float32Array.from([3, 1, 0, 2]), dims: [2, 2] } }))['y']!.data], [2.5, 4, 0, 0, 0, 0]);
    assert.equal(cache.hits, 1);
    assert.equal(cache.misses, 4);
    await cache.releaseAll();
    assert.equal(cache.size, 0);
  });

  it('releases the least recently used entry beyond maxEntries', async () => {
    const cache = new SessionCache(2);
    const k = (batch: string) => ({ model: 'tiny', batch, ep: 'cpu', threads: 1 }) as const;
    const first = await cache.get(k('1'), tinyModel);
    await cache.get(k('2'), tinyModel);
    await cache.get(k('1'), tinyModel); // touch: '2' is now the oldest
    await cache.get(k('3'), tinyModel);
    assert.equal(cache.size, 2);
    assert.equal(await cache.get(k('1'), tinyModel), first);
    assert.equal(cache.misses, 3);
    await cache.releaseAll();
  });

  it('does not keep a failed build', async () => {
    const cache = new SessionCache();
    const key = { model: 'bad', batch: '1', ep: 'cpu', threads: 1 } as const;
    await assert.rejects(cache.get(key, () => Uint8Array.from([0])), RuntimeError);
    assert.equal(cache.size, 0);
  });
});
