import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commitDir, tempDirFor, writeFileAtomic } from '../src/io/atomic.js';
import { decodeNpy, encodeNpy, NpyFormatError } from '../src/io/npy.js';

/** A hand-built .npy v1.0 file, independent of encodeNpy. */
function npyBytes(header: string, payload: Uint8Array): Uint8Array {
  const padded = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + padded.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length & 0xff, padded.length >> 8]);
  out.set(new TextEncoder().encode(padded), 10);
  out.set(payload, 10 + padded.length);
  return out;
}

describe('npy', () => {
  it('round-trips values and shapes', () => {
    for (const shape of [[2, 3], [5], [], [0], [1, 3, 2, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => i * 0.25 - 1.5);
      const back = decodeNpy(encodeNpy(data, shape));
      assert.deepEqual(back.shape, shape);
      assert.deepEqual([...back.data], [...data]);
    }
  });

  it('writes the header the NumPy format spec describes', () => {
    const bytes = encodeNpy(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    assert.deepEqual([...bytes.subarray(0, 6)], [0x93, ...Buffer.from('NUMPY')]);
    assert.deepEqual([...bytes.subarray(6, 8)], [1, 0]);
    const headerLen = bytes[8]! | (bytes[9]! << 8);
    assert.equal((10 + headerLen) % 64, 0);
    const header = Buffer.from(bytes.subarray(10, 10 + headerLen)).toString('latin1');
    assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    assert.equal(bytes.length, 10 + headerLen + 24);
    assert.equal(new DataView(bytes.buffer).getFloat32(10 + headerLen + 4, true), 2);
    const oneD = Buffer.from(encodeNpy(Float32Array.of(1), [1])).toString('latin1');
    assert.match(oneD, /'shape': \(1,\), \}/);
  });

  it('reads <f8 as float32 and reads from an unaligned view', () => {
    const payload = new Uint8Array(16);
    new DataView(payload.buffer).setFloat64(0, 0.1, true);
    new DataView(payload.buffer).setFloat64(8, -3, true);
    const file = npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", payload);
    assert.deepEqual([...decodeNpy(file).data], [Math.fround(0.1), -3]);
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    assert.deepEqual(decodeNpy(shifted.subarray(1)).shape, [2]);
  });

  it('rejects other dtypes, Fortran order, bad magic and truncation', () => {
    const four = new Uint8Array(4);
    const cases: [Uint8Array, RegExp][] = [
      [npyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", four), /dtype '<i4'/],
      [npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four), /dtype '>f4'/],
      [npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", four), /Fortran/],
      [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four), /truncated/],
      [new TextEncoder().encode('PK\x03\x04 not npy'), /bad magic/],
    ];
    for (const [bytes, message] of cases) assert.throws(() => decodeNpy(bytes), (e: unknown) => e instanceof NpyFormatError && message.test(e.message));
  });

  it('refuses a shape that does not match the data', () => {
    assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), RangeError);
  });
});

describe('atomic writes', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neuromask-atomic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writeFileAtomic replaces the file and leaves no temp file', async () => {
    const path = join(dir, 'out.txt');
    await writeFile(path, 'old');
    await writeFileAtomic(path, 'new');
    assert.equal(await readFile(path, 'utf8'), 'new');
    await writeFileAtomic(path, Uint8Array.of(65, 66));
    assert.equal(await readFile(path, 'utf8'), 'AB');
    assert.deepEqual(await readdir(dir), ['out.txt']);
  });

  it('writeFileAtomic removes the temp file when the rename fails', async () => {
    const sub = join(dir, 'fail');
    const target = join(sub, 'is-a-dir');
    await mkdir(join(target, 'child'), { recursive: true });
    await assert.rejects(writeFileAtomic(target, 'x'));
    assert.deepEqual(await readdir(sub), ['is-a-dir']);
  });

  it('commitDir puts a directory in place, replacing an existing one', async () => {
    const final = join(dir, 'result');
    const first = await tempDirFor(final);
    await writeFile(join(first, 'a.txt'), '1');
    await commitDir(first, final);
    assert.deepEqual(await readdir(final), ['a.txt']);

    const second = await tempDirFor(final);
    await writeFile(join(second, 'b.txt'), '2');
    await commitDir(second, final);
    assert.deepEqual(await readdir(final), ['b.txt']);
    const left = (await readdir(dir)).filter((n) => n.startsWith('result'));
    assert.deepEqual(left, ['result']);
  });

  it('commitDir restores the old directory when the new one is missing', async () => {
    const final = join(dir, 'kept');
    await mkdir(final);
    await writeFile(join(final, 'old.txt'), 'old');
    await assert.rejects(commitDir(join(dir, 'no-such-tmp'), final));
    assert.deepEqual(await readdir(final), ['old.txt']);
  });
});
