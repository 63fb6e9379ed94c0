import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeNpy } from '../src/io/npy.js';
import { cli } from './helpers/run-cli.js';
import { SHARED_IMAGES, SHARED_MODELS } from './helpers/shared.js';

/** The default model (fashion-mnist-cnn, 28×28) and one of its images: fast enough to run for real. */
const boot = new URL('../assets/images/fashion/9-ankle-boot.png', import.meta.url).pathname;
const dog = join(SHARED_IMAGES, 'dog.jpg');
const isRoot = process.getuid?.() === 0;

/** A fresh working folder holding a file `afile` and a copy of the boot image as `a.png`. */
function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nm-inputs-'));
  writeFileSync(join(dir, 'afile'), 'x');
  copyFileSync(boot, join(dir, 'a.png'));
  return dir;
}

function oneLine(r: { stderr: string }): void {
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

describe('--init-mask', () => {
  // The default preset optimises a 7×7 mask for the 28×28 model: a file of that size runs.
  const cases: [string, number, string][] = [
    ['NaN', NaN, 'NaN'],
    ['+Inf', Infinity, 'Infinity'],
    ['-Inf', -Infinity, '-Infinity'],
  ];
  for (const [name, value, shown] of cases) {
    it(`refuses ${name}, naming the file and the first bad index (exit 3, no output)`, () => {
      const dir = workDir();
      const w = new Float32Array(49).fill(1);
      w[25] = value;
      w[40] = value;
      writeFileSync(join(dir, 'init.npy'), encodeNpy(w, [7, 7]));
      const r = cli(['explain', 'a.png', '-n', '2', '--init-mask', 'init.npy', '-o', 'out'], dir);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`--init-mask init\\.npy: value 25 \\(at \\[3, 4\\]\\) is ${shown.replace('+', '\\+')}; initial mask logits must be finite`));
      oneLine(r);
      assert.equal(existsSync(join(dir, 'out')), false);
    });
  }

  it('a finite mask of the right size runs', () => {
    const dir = workDir();
    writeFileSync(join(dir, 'init.npy'), encodeNpy(new Float32Array(49).fill(2), [7, 7]));
    const r = cli(['explain', 'a.png', '-n', '1', '--init-mask', 'init.npy', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
  });

  it('a missing file is an input error (exit 3) naming it', () => {
    const r = cli(['explain', 'a.png', '-n', '1', '--init-mask', 'nope.npy', '-o', 'out'], workDir());
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /--init-mask nope\.npy: cannot read \(ENOENT\)/);
    oneLine(r);
  });
});

describe('--out is checked before any work', () => {
  const outs: [string, string, RegExp, boolean][] = [
    ['an existing file', 'afile', /--out afile: is a file, not a folder/, false],
    ['below a file', 'afile/sub', /--out afile\/sub: .*afile is a file, not a folder/, false],
    ['/dev/null', '/dev/null', /--out \/dev\/null: is a device, not a folder/, process.platform !== 'linux'],
    // mkdir -p below /proc spun at 100% CPU forever.
    ['below /proc', '/proc/self/x', /--out \/proc\/self\/x: cannot create folders in \/proc\/self/, process.platform !== 'linux'],
  ];
  const commands: [string, (dir: string) => string[]][] = [
    ['explain', () => ['explain', 'a.png', '-n', '1']],
    ['explain --method', () => ['explain', 'a.png', '--method', 'gradient']],
    ['compare', () => ['compare', 'a.png', '--methods', 'gradient']],
    ['evaluate', (dir) => (writeFileSync(join(dir, 'm.json'), JSON.stringify({ images: [{ file: 'a.png' }] })), ['evaluate', 'm.json', '--methods', 'gradient'])],
  ];
  for (const [what, out, message, skip] of outs) {
    for (const [name, args] of commands) {
      it(`${name} --out ${what}: exit 2, one line, nothing computed`, { skip }, () => {
        const dir = workDir();
        const r = cli([...args(dir), '-o', out], dir, { timeoutMs: 120_000 });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, message);
        oneLine(r);
        assert.equal(r.stdout, '');
      });
    }
  }

  it('comes before the images: a bad --out wins over a missing image', () => {
    const r = cli(['explain', 'nope.png', '-o', 'afile'], workDir());
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--out afile: is a file/);
  });

  it('a folder without write permission', { skip: isRoot && 'root may write anywhere' }, () => {
    const dir = workDir();
    mkdirSync(join(dir, 'ro'), { mode: 0o555 });
    const r = cli(['explain', 'a.png', '-n', '1', '-o', 'ro/out'], dir);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--out ro\/out: cannot create folders in .*ro \(EACCES\)/);
  });

  it('a folder still to be made, several levels deep, is fine and the probe leaves nothing behind', () => {
    const dir = workDir();
    const r = cli(['explain', 'a.png', '-n', '1', '-o', 'x/y/out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, 'x', 'y', 'out')), ['a']);
    assert.deepEqual(readdirSync(dir).sort(), ['a.png', 'afile', 'x']);
  });
});

describe('--threads', () => {
  it('more threads than cores: one warning, capped, and the run completes', () => {
    // Uncapped, 999 threads on 2 cores took minutes: the timeout turns that into a failure.
    const r = cli(['explain', 'a.png', '-n', '1', '--threads', '999', '-o', 'out'], workDir(), { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^neuromask: warning: --threads 999 is more than the \d+ this machine can run at once; using \d+$/m);
  });
});

describe('a named model in the cache', () => {
  it('corrupted in place with its old size and mtime: checksum error, exit 4', () => {
    const home = mkdtempSync(join(tmpdir(), 'nm-home-'));
    cpSync(join(SHARED_MODELS, 'mobilenetv2-12-int8'), join(home, 'mobilenetv2-12-int8'), { recursive: true });
    const file = join(home, 'mobilenetv2-12-int8', 'mobilenetv2-12-int8.onnx');
    // The shared copy is read-only; a user's cache is writable (where a size+mtime record could be kept).
    chmodSync(join(home, 'mobilenetv2-12-int8'), 0o755);
    chmodSync(file, 0o644);
    const env = { NEUROMASK_HOME: home };
    // Whole seconds, so that setting the time back is exact.
    const t = Math.floor(statSync(file).mtimeMs / 1000) - 3600;
    utimesSync(file, t, t);
    const ok = cli(['inspect', 'mobilenetv2-imagenet'], home, { env });
    assert.equal(ok.code, 0, ok.stderr);
    const { size } = statSync(file);
    const bytes = readFileSync(file);
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(file, bytes);
    utimesSync(file, t, t);
    assert.deepEqual([statSync(file).size, statSync(file).mtimeMs], [size, t * 1000], 'same size and mtime as when it was verified');
    const r = cli(['inspect', 'mobilenetv2-imagenet'], home, { env });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /checksum|sha256/i);
  });
});

describe('unknown keys are errors that suggest the nearest name', () => {
  const cases: [string, (dir: string) => string[], RegExp][] = [
    ['NeuroMask --options key', () => ['explain', 'a.png', '--options', '{"iteration": 2}'], /unknown option 'iteration' for neuromask; did you mean 'iterations'\?/],
    ['NeuroMask option that only the CLI sets', () => ['explain', 'a.png', '--options', '{"batchSize": 2}'], /unknown option 'batchSize' for neuromask/],
    ['method --options key', () => ['explain', 'a.png', '--method', 'occlusion', '--options', '{"patchh": 4}'], /unknown option 'patchh' for occlusion; did you mean 'patch'\?/],
    ['method name', () => ['explain', 'a.png', '--method', 'gradcam'], /unknown method 'gradcam' .*did you mean 'grad-cam'\?/],
    ['options for a method not run', () => ['compare', 'a.png', '--methods', 'gradient', '--options', '{"occlusion": {"patch": 4}}'], /options given for 'occlusion', which is not among the methods run \(gradient\)/],
    ['options for an unknown method', () => ['compare', 'a.png', '--methods', 'gradient', '--options', '{"gradiant": {}}'], /options given for unknown method 'gradiant'; did you mean 'gradient'\?/],
    ['compare option key', () => ['compare', 'a.png', '--methods', 'gradient', '--options', '{"gradient": {"reduc": "max"}}'], /unknown option 'reduc' for gradient; did you mean 'reduce'\?/],
    [
      'manifest key',
      (dir) => (writeFileSync(join(dir, 'm.json'), JSON.stringify({ images: [{ file: 'a.png', target: 9, bbox: [[1, 1, 5, 5]] }] })), ['evaluate', 'm.json', '--methods', 'gradient']),
      /manifest m\.json: images\.0: unknown key 'bbox'; did you mean 'boxes'\?/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(`${name}: exit 2, one line, no output`, () => {
      const dir = workDir();
      const r = cli([...args(dir), '-o', 'out'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      oneLine(r);
      assert.equal(existsSync(join(dir, 'out')), false);
    });
  }

  it('NeuroMask options without a flag are taken from --options', () => {
    const dir = workDir();
    const r = cli(['explain', 'a.png', '-n', '1', '--options', '{"blurSigma": 2.5}', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(readFileSync(join(dir, 'out', 'a', 'result.json'), 'utf8')).config.blurSigma, 2.5);
  });
});

describe('errors in words, not raw schema messages', () => {
  const cases: [string, string[], RegExp][] = [
    ['flag out of range', ['explain', 'a.png', '--alpha', '2'], /^neuromask: --alpha: must be ≤ 1$/m],
    ['enum flag', ['explain', 'a.png', '--ep', 'tpu'], /^neuromask: --ep: must be one of 'cpu', 'webgpu', 'cuda'$/m],
    ['NeuroMask flag', ['explain', 'a.png', '--laplacian', '4'], /^neuromask: option laplacianSize for neuromask: must be one of 3, 5$/m],
    ['method option value', ['explain', 'a.png', '--method', 'occlusion', '--options', '{"patch": -1}'], /^neuromask: option patch for occlusion: must be/m],
  ];
  for (const [name, args, message] of cases) {
    it(name, () => {
      const r = cli([...args, '-o', 'out'], workDir());
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /Invalid input|Invalid option|Too (small|big)|Unrecognized key/);
    });
  }
});

describe('a truncated JPEG', () => {
  it('is one line, exit 3', () => {
    const dir = workDir();
    writeFileSync(join(dir, 'cut.jpg'), readFileSync(dog).subarray(0, 300));
    const r = cli(['explain', 'cut.jpg', '-m', 'mobilenetv2-imagenet', '-o', 'out'], dir);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr.trim(), /^neuromask: cut\.jpg: cannot decode image: .*premature end of JPEG image$/);
    oneLine(r);
  });
});

describe('manifest image paths stay inside the manifest folder', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['.. climbing out', () => '../a.png', /images\.1\.file: '\.\.\/a\.png' climbs out of its folder with '\.\.'/],
    ['an absolute path', (dir) => join(dir, 'a.png'), /images\.1\.file: '.*a\.png' is absolute/],
    ['a symlink to a file outside', (dir) => (symlinkSync(join(dir, 'a.png'), join(dir, 'set', 'link.png')), 'link.png'), /images\.1\.file: 'link\.png' resolves to .*a\.png, outside /],
    ['a file in a symlinked folder outside', (dir) => (symlinkSync(dir, join(dir, 'set', 'up')), 'up/a.png'), /images\.1\.file: 'up\/a\.png' resolves to .*a\.png, outside /],
  ];
  for (const [name, file, message] of cases) {
    it(`refuses ${name}, naming the entry (exit 2)`, () => {
      const dir = workDir();
      mkdirSync(join(dir, 'set'));
      copyFileSync(boot, join(dir, 'set', 'in.png'));
      writeFileSync(join(dir, 'set', 'm.json'), JSON.stringify({ images: [{ file: 'in.png' }, { file: file(dir) }] }));
      const r = cli(['evaluate', 'set/m.json', '--methods', 'gradient', '-o', 'out'], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      oneLine(r);
      assert.equal(existsSync(join(dir, 'out')), false);
    });
  }

  it('accepts sub-folders and a .. that stays inside', () => {
    const dir = workDir();
    mkdirSync(join(dir, 'set', 'sub'), { recursive: true });
    copyFileSync(boot, join(dir, 'set', 'sub', 'b.png'));
    writeFileSync(join(dir, 'set', 'm.json'), JSON.stringify({ images: [{ file: 'sub/b.png' }, { file: 'sub/../sub/b.png' }] }));
    const r = cli(['evaluate', 'set/m.json', '--methods', 'gradient', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
  });
});
