import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { ModelFormatError } from '../src/errors/model-format-error.js';
import { readTfjsModel } from '../src/tfjs/read.js';
import type { TfjsArtifacts, WeightSpec } from '../src/tfjs/types.js';
import { decodeWeights } from '../src/tfjs/weights.js';
import { tf, tfReady } from './helpers/tfjs.js';

// Hand-encoded weight shards; the expected values are written out (float16: a table of bit
// patterns) or computed here as q·scale + min, and where TF.js can decode the same bytes,
// tf.io.decodeWeights must agree too.

type Expected = Record<string, { dtype: 'float32' | 'int32' | 'bool'; values: number[] }>;

interface Row {
  name: string;
  specs: WeightSpec[];
  /** The shard files, in manifest order (most rows have one). */
  shards: number[][];
  expected?: Expected;
  /** Also decode with tf.io.decodeWeights and require the same values. */
  tfjs?: true;
  /** Read model.json and the shards from disk (readTfjsModel) instead of from memory. */
  disk?: true;
  /** decodeWeights must throw a ModelFormatError matching this. */
  error?: RegExp;
}

const le16 = (v: readonly number[]): number[] => v.flatMap((x) => [x & 0xff, x >> 8]);
const bytesOf = (a: Float32Array | Int32Array): number[] => [...new Uint8Array(a.buffer)];

// float16 bit pattern → value, from the IEEE 754 binary16 definition.
const HALF: [number, number][] = [
  [0x0000, 0],
  [0x8000, -0],
  [0x3c00, 1],
  [0xc000, -2],
  [0x3800, 0.5],
  [0x3555, 0.333251953125],
  [0x7bff, 65504],
  [0x0400, 2 ** -14],
  [0x03ff, 2 ** -14 - 2 ** -24],
  [0x0001, 2 ** -24],
  [0x8001, -(2 ** -24)],
  [0x7c00, Infinity],
  [0xfc00, -Infinity],
  [0x7e00, NaN],
];

const U8 = [0, 1, 2, 127, 128, 254, 255];
const U16 = [0, 1, 1000, 32768, 65535];
const dequant = (q: readonly number[], scale: number, min: number): number[] => q.map((v) => v * scale + min);

const ROWS: Row[] = [
  {
    name: 'float32, int32 and bool side by side',
    specs: [
      { name: 'f', shape: [2, 2], dtype: 'float32' },
      { name: 'i', shape: [3], dtype: 'int32' },
      { name: 'b', shape: [3], dtype: 'bool' },
      { name: 'g', shape: [1], dtype: 'float32' },
    ],
    shards: [[...bytesOf(Float32Array.of(1.5, -2, 3.25, 1e-3)), ...bytesOf(Int32Array.of(-7, 0, 2147483647)), 1, 0, 1, ...bytesOf(Float32Array.of(42))]],
    expected: { f: { dtype: 'float32', values: [1.5, -2, 3.25, Math.fround(1e-3)] }, i: { dtype: 'int32', values: [-7, 0, 2147483647] }, b: { dtype: 'bool', values: [1, 0, 1] }, g: { dtype: 'float32', values: [42] } },
    tfjs: true,
  },
  {
    name: 'uint8-quantized float32 (q·scale + min), then an unaligned float32',
    specs: [
      { name: 'q', shape: [7], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -1.5 } },
      { name: 'after', shape: [2], dtype: 'float32' },
    ],
    shards: [[...U8, ...bytesOf(Float32Array.of(0.25, -8))]],
    expected: { q: { dtype: 'float32', values: dequant(U8, 0.0123, -1.5) }, after: { dtype: 'float32', values: [0.25, -8] } },
    tfjs: true,
  },
  {
    name: 'uint16-quantized float32 (little-endian)',
    specs: [{ name: 'q', shape: [5], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3.1e-5, min: -0.9 } }],
    shards: [le16(U16)],
    expected: { q: { dtype: 'float32', values: dequant(U16, 3.1e-5, -0.9) } },
    tfjs: true,
  },
  {
    name: 'uint8-quantized int32 rounds to integers',
    specs: [{ name: 'q', shape: [4], dtype: 'int32', quantization: { dtype: 'uint8', scale: 0.4, min: -10 } }],
    shards: [[0, 1, 2, 200]],
    expected: { q: { dtype: 'int32', values: [-10, -10, -9, 70] } },
    tfjs: true,
  },
  {
    name: 'float16 bit patterns (normal, subnormal, max, ±Infinity, NaN)',
    specs: [{ name: 'h', shape: [HALF.length], dtype: 'float32', quantization: { dtype: 'float16' } }],
    shards: [le16(HALF.map(([bits]) => bits))],
    expected: { h: { dtype: 'float32', values: HALF.map(([, v]) => v) } },
    tfjs: true,
  },
  {
    name: 'two shards from disk, one weight spanning the boundary',
    specs: [
      { name: 'a', shape: [3], dtype: 'float32' },
      { name: 'b', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    ],
    // a = [1, 2, 3] ends at byte 12; the shard boundary cuts a[2] after two bytes and b follows.
    shards: [bytesOf(Float32Array.of(1, 2, 3)).slice(0, 10), [...bytesOf(Float32Array.of(1, 2, 3)).slice(10), ...le16([0x3c00, 0xc000])]],
    expected: { a: { dtype: 'float32', values: [1, 2, 3] }, b: { dtype: 'float32', values: [1, -2] } },
    disk: true,
  },
  {
    name: 'truncated data names the weight that runs past the end',
    specs: [
      { name: 'whole', shape: [2], dtype: 'float32' },
      { name: 'conv1/kernel', shape: [3, 3, 3, 8], dtype: 'float32' },
    ],
    shards: [[...bytesOf(Float32Array.of(1, 2)), ...new Array<number>(100).fill(0)]],
    error: /'conv1\/kernel'.*truncated/,
  },
  {
    name: 'truncated uint8-quantized data names the weight',
    specs: [{ name: 'dense/bias', shape: [10], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }],
    shards: [[1, 2, 3]],
    error: /'dense\/bias'/,
  },
];

function sameValues(actual: ArrayLike<number>, expected: readonly number[], what: string, float: boolean): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    // Expected values are float64; float32 weights hold them rounded to float32.
    assert.ok(Object.is(a, float ? Math.fround(e) : e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}] = ${a}, expected ${e}`);
  }
}

async function artifactsOf(row: Row): Promise<{ artifacts: TfjsArtifacts; cleanup: () => Promise<void> }> {
  const paths = row.shards.map((_, i) => `group1-shard${i + 1}of${row.shards.length}.bin`);
  const json = { format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [{ paths, weights: row.specs }] };
  if (!row.disk) {
    const weightData = Uint8Array.from(row.shards.flat());
    return { artifacts: { json, weightData, source: 'memory' }, cleanup: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), 'neuromask-weights-'));
  await writeFile(join(dir, 'model.json'), JSON.stringify(json));
  await Promise.all(row.shards.map((s, i) => writeFile(join(dir, paths[i]!), Uint8Array.from(s))));
  return { artifacts: await readTfjsModel(dir), cleanup: () => rm(dir, { recursive: true }) };
}

before(tfReady);

for (const row of ROWS) {
  test(`weights: ${row.name}`, async () => {
    const { artifacts, cleanup } = await artifactsOf(row);
    try {
      if (row.error) {
        assert.throws(() => decodeWeights(artifacts), (e: unknown) => e instanceof ModelFormatError && row.error!.test(e.message));
        return;
      }
      const got = decodeWeights(artifacts);
      assert.deepEqual([...got.keys()], row.specs.map((s) => s.name));
      for (const s of row.specs) {
        const t = got.get(s.name)!;
        const e = row.expected![s.name]!;
        assert.equal(t.dtype, e.dtype, `${s.name}: dtype`);
        assert.deepEqual(t.dims, s.shape, `${s.name}: dims`);
        sameValues(t.data as ArrayLike<number>, e.values, s.name, e.dtype === 'float32');
      }
      if (row.tfjs) {
        const bytes = Uint8Array.from(row.shards.flat());
        const ref = tf.io.decodeWeights(bytes.buffer, row.specs as tf.io.WeightsManifestEntry[]);
        for (const s of row.specs) {
          const r = ref[s.name]!;
          const mine = got.get(s.name)!.data as ArrayLike<number>;
          sameValues(mine, Array.from(r.dataSync() as ArrayLike<number>), `${s.name} vs TF.js`, false);
          r.dispose();
        }
      }
    } finally {
      await cleanup();
    }
  });
}
