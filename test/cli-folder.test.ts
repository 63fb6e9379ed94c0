import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { CliProcess } from './helpers/cli-process.js';

/** `n` small distinct PNGs img-00.png … in `dir` (the built-in fashion model explains any image in milliseconds). */
async function images(dir: string, n: number): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `img-${String(i).padStart(2, '0')}.png`;
    const pixels = Buffer.alloc(32 * 32 * 3, (i * 37) % 256);
    for (let k = 0; k < pixels.length; k += 7) pixels[k] = (k * (i + 3)) % 256;
    await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(dir, name));
    names.push(name.replace('.png', ''));
  }
  return names;
}

// A run that loops or hangs (the bugs these tests guard against) is killed and fails.
const run = (args: string[], cwd: string) => new CliProcess(args, cwd, { limitMs: 120_000 }).done;
const FAST = ['-n', '3'];

describe('explain on a folder', () => {
  it('a corrupt file among good ones: one error line, every good image explained, a summary, exit 3', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    const good = await images(join(dir, 'in'), 9); // batch of 8 + 1: the corrupt file sits in the first batch
    writeFileSync(join(dir, 'in', 'img-03-corrupt.jpg'), 'not a jpeg');
    const r = await run(['explain', 'in', ...FAST, '-o', 'out'], dir);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => /img-03-corrupt\.jpg/.test(l)).length, 1, r.stderr);
    assert.match(r.stderr, /img-03-corrupt\.jpg: cannot decode image/);
    assert.match(r.stderr, /explained 9 of 10 images \(1 failed\)/);
    assert.deepEqual(readdirSync(join(dir, 'out')).sort(), good);
    for (const g of good) assert.ok(readdirSync(join(dir, 'out', g)).includes('result.json'), g);
  });

  it('--fail-fast stops at the first file that cannot be read', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    await images(join(dir, 'in'), 4);
    writeFileSync(join(dir, 'in', 'img-00-corrupt.png'), 'not a png');
    const r = await run(['explain', 'in', ...FAST, '--fail-fast', '-o', 'out'], dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /img-00-corrupt\.png: cannot decode image/);
    assert.match(r.stderr, /explained 0 of 5 images .*stopped at the first failure/);
    assert.equal(r.stdout, '');
  });

  it('a rerun skips images already explained with the same settings, and redoes them when a setting changes', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    const names = await images(join(dir, 'in'), 3);
    const first = await run(['explain', 'in', ...FAST, '-o', 'out'], dir);
    assert.equal(first.code, 0, first.stderr);
    const mtime = (n: string) => statSync(join(dir, 'out', n, 'result.json')).mtimeMs;
    const before = names.map(mtime);
    // One output removed, as if the first run had been killed before it.
    spawnSync('rm', ['-r', join(dir, 'out', names[1]!)]);
    const again = await run(['explain', 'in', ...FAST, '-o', 'out'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /skipped 2 already explained/);
    assert.equal(again.stdout.trim().split('\n').length, 1, again.stdout);
    assert.match(again.stdout, /img-01\.png/);
    assert.equal(mtime(names[0]!), before[0], 'untouched');
    assert.equal(mtime(names[2]!), before[2], 'untouched');
    const changed = await run(['explain', 'in', '-n', '4', '-o', 'out'], dir);
    assert.equal(changed.code, 0, changed.stderr);
    assert.doesNotMatch(changed.stderr, /skipped/);
    assert.equal(changed.stdout.trim().split('\n').length, 3);
  });

  it('`explain .` never searches its own output folder', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    const names = await images(dir, 2);
    for (let k = 0; k < 2; k++) {
      const r = await run(['explain', '.', ...FAST], dir);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual(readdirSync(join(dir, 'neuromask-out')).sort(), names);
  });

  it('a symbolic link loop is followed once', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    await images(join(dir, 'in', 'sub'), 1);
    symlinkSync('..', join(dir, 'in', 'sub', 'up'));
    const r = await run(['explain', 'in', ...FAST, '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['img-00']);
  });

  it('temporary folders left by a killed run are removed by the next one', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-folder-'));
    await images(join(dir, 'in'), 1);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(dir, 'out', `img-00.tmp-${dead}-Ab12Cd`), { recursive: true });
    writeFileSync(join(dir, 'out', `img-00.tmp-${dead}-Ab12Cd`, 'mask.png'), 'half');
    const r = await run(['explain', 'in', ...FAST, '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /removed 1 temporary folder/);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['img-00']);
  });
});
