import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { CliProcess } from './helpers/cli-process.js';
import { SHARED_IMAGES } from './helpers/shared.js';

const dog = join(SHARED_IMAGES, 'dog.jpg');
/** A run still alive after 90 s is SIGKILLed: a hang fails its test with the run's stderr. */
const LIMIT = { limitMs: 90_000 };

/** A folder with one small photo-like PNG (the built-in fashion model takes any image). */
async function workdir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nm-int-'));
  await sharp(dog).resize(64, 64).png().toFile(join(dir, 'a.png'));
  return dir;
}

/** Nothing written: no output folder, or an empty one (no result, no `*.tmp-*` folder). */
function assertNoOutput(dir: string, stdout: string): void {
  const out = join(dir, 'out');
  assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], 'the output folder is empty');
  assert.equal(stdout, '', 'no result printed');
}

// Each case runs long enough that, ignoring the signal, it would not finish before the run limit.
const cases: { name: string; args: (dir: string) => string[]; at: RegExp; signal: NodeJS.Signals; code: number }[] = [
  {
    name: 'SIGINT during NeuroMask iterations',
    args: (d) => ['explain', join(d, 'a.png'), '-n', '10000000', '-o', 'out'],
    at: /a\.png 1\/10000000/,
    signal: 'SIGINT',
    code: 130,
  },
  {
    name: 'SIGTERM during NeuroMask iterations',
    args: (d) => ['explain', join(d, 'a.png'), '-n', '10000000', '-o', 'out'],
    at: /a\.png 1\/10000000/,
    signal: 'SIGTERM',
    code: 143,
  },
  {
    name: 'SIGINT during integrated gradients with 10⁹ steps',
    args: (d) => ['explain', join(d, 'a.png'), '--method', 'integrated-gradients', '--options', '{"steps": 1e9, "rule": "riemann-middle"}', '-o', 'out'],
    at: /a\.png 1\/125000000/,
    signal: 'SIGINT',
    code: 130,
  },
  {
    name: 'SIGINT during RISE',
    args: (d) => ['explain', join(d, 'a.png'), '--method', 'rise', '--options', '{"masks": 1e9}', '-o', 'out'],
    at: /a\.png 32\/1000000000/,
    signal: 'SIGINT',
    code: 130,
  },
  {
    name: 'SIGINT while MobileNetV2 is prepared (dequantized, folded)',
    args: () => ['explain', dog, '-m', 'mobilenetv2-imagenet', '-n', '100000', '-o', 'out'],
    at: /preparing mobilenetv2-imagenet for batch 1/,
    signal: 'SIGINT',
    code: 130,
  },
  {
    name: 'SIGINT while the NeuroMask step session is created',
    args: () => ['explain', dog, '-m', 'mobilenetv2-imagenet', '-n', '100000', '-o', 'out'],
    at: /creating an ONNX Runtime session \(neuromask-step/,
    signal: 'SIGINT',
    code: 130,
  },
];

describe('explain stops on SIGINT / SIGTERM', () => {
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, nothing written`, { timeout: 180_000 }, async () => {
      const dir = await workdir();
      const run = new CliProcess([...c.args(dir), '--verbose'], dir, LIMIT);
      await run.waitFor(c.at);
      void run.kill(c.signal);
      const r = await run.done;
      assert.equal(r.code, c.code, `exit ${r.code} (${r.signal ?? 'no signal'}); stderr:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${c.signal} received, stopping`));
      assertNoOutput(dir, r.stdout);
    });
  }

  it('Gauss–Legendre integrated gradients beyond its limit is refused at once (its nodes cost steps²)', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-int-'));
    const r = await new CliProcess(['explain', dog, '--method', 'integrated-gradients', '--options', '{"steps": 1e9}', '-o', 'out'], dir, LIMIT).done;
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /steps.*at most 1024.*riemann-middle/);
  });
});

describe('compare after SIGINT', () => {
  it('exits 130 keeping the finished pairs, and a rerun restores them', { timeout: 240_000 }, async () => {
    const dir = await workdir();
    await sharp(join(dir, 'a.png')).negate().toFile(join(dir, 'b.png'));
    const run = new CliProcess(['compare', 'a.png', 'b.png', '--methods', 'gradient,rise', '--options', '{"rise": {"masks": 1e9}}', '-o', 'cmp'], dir, LIMIT);
    await run.waitFor(/compare 1\/4 .*method rise/);
    void run.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'cmp', 'pairs', 'a')).sort(), ['gradient.json', 'gradient.npy'], 'the finished pair, no temp file');
    const again = await new CliProcess(['compare', 'a.png', 'b.png', '--methods', 'gradient', '-o', 'cmp'], dir, LIMIT).done;
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2 pairs \(1 restored from an earlier run\)/);
  });
});
