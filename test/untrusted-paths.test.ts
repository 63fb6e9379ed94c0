import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelFormatError } from '../src/errors/model-format-error.js';
import { PathOutsideRootError, resolveInside, unsafeRelativePath } from '../src/io/inside-root.js';
import { loadClassifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { readTfjsModel } from '../src/tfjs/read.js';
import { cli } from './helpers/run-cli.js';
import { SHARED_IMAGES } from './helpers/shared.js';

// A file outside every model folder below, standing in for /etc/passwd or ~/.ssh/id_rsa.
const OUTSIDE = mkdtempSync(join(tmpdir(), 'nm-secret-'));
const SECRET = join(OUTSIDE, 'secret.txt');
writeFileSync(SECRET, 'root:x:0:0\n');

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'nm-untrusted-'));
}

/** A model folder whose model.json names `shard(dir)` as its only weight shard. */
function tfjsFolder(shard: (dir: string) => string): { dir: string; path: string } {
  const dir = folder();
  const path = shard(dir);
  const layers = [{ class_name: 'Dense', config: { name: 'out', units: 2, batch_input_shape: [null, 8, 8, 3] } }];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [{ paths: [path], weights: [] }] }));
  return { dir, path };
}

describe('paths from files the user did not write stay inside their folder', () => {
  const lexical: [string, string | undefined][] = [
    ['../../../../etc/passwd', "climbs out of its folder with '..'"],
    ['..', "climbs out of its folder with '..'"],
    ['a/../../b', "climbs out of its folder with '..'"],
    ['..\\..\\windows\\win.ini', "climbs out of its folder with '..'"],
    ['/etc/passwd', 'is absolute'],
    ['\\\\server\\share', 'is absolute'],
    ['C:\\secret', 'is absolute'],
    ['c:relative', 'is absolute'],
    ['', 'is empty'],
    ['shard\0.bin', 'holds a NUL byte'],
    ['group1-shard1of1.bin', undefined],
    ['weights/shard.bin', undefined],
    ['..shard.bin', undefined],
    ['./labels.txt', undefined],
    ['sub/../labels.txt', undefined],
  ];
  for (const [path, why] of lexical) {
    it(`'${path.replace('\0', '\\0')}' ${why ?? 'is fine'}`, () => assert.equal(unsafeRelativePath(path), why));
  }

  it('a symlink that resolves outside is refused; one that stays inside, or a linked root, is followed', async () => {
    const root = folder();
    writeFileSync(join(root, 'real.txt'), 'x');
    symlinkSync(SECRET, join(root, 'out.txt'));
    mkdirSync(join(root, 'sub'));
    symlinkSync(OUTSIDE, join(root, 'sub', 'escape'));
    symlinkSync(join(root, 'real.txt'), join(root, 'in.txt'));
    await assert.rejects(resolveInside(root, 'out.txt'), (e: unknown) => e instanceof PathOutsideRootError && /'out\.txt' resolves to .*secret\.txt, outside/.test(e.message));
    await assert.rejects(resolveInside(root, 'sub/escape/secret.txt'), PathOutsideRootError);
    assert.equal(await resolveInside(root, 'in.txt'), join(root, 'real.txt'));
    const linkedRoot = `${root}-link`;
    symlinkSync(root, linkedRoot);
    assert.equal(await resolveInside(linkedRoot, 'real.txt'), join(root, 'real.txt'));
    assert.equal(await resolveInside(root, 'missing.bin'), join(root, 'missing.bin'), 'a missing file is left for the reader to report');
    await assert.rejects(resolveInside(root, '../x', (e) => new RangeError(`mine: ${e.message}`)), /^RangeError: mine: '\.\.\/x'/);
  });

  const shards: [string, (dir: string) => string][] = [
    ['../ climbing', () => '../../../../../../../../etc/passwd'],
    ['an absolute path', () => SECRET],
    ['a symlink out', (dir) => (symlinkSync(SECRET, join(dir, 'shard.bin')), 'shard.bin')],
  ];
  for (const [name, make] of shards) {
    it(`a TF.js weight path with ${name} is a ModelFormatError naming it`, async () => {
      const { dir, path } = tfjsFolder(make);
      await assert.rejects(readTfjsModel(dir), (e: unknown) => {
        assert.ok(e instanceof ModelFormatError, String(e));
        assert.ok(e.message.includes(`weight path '${path}'`), e.message);
        assert.match(e.message, /must lie inside the model's folder/);
        return true;
      });
    });
  }

  it('the CLI refuses such a model.json: exit 4, one line naming the path, nothing written', () => {
    const { dir } = tfjsFolder(() => '../../../../../../../../etc/passwd');
    writeFileSync(join(dir, 'neuromask.json'), JSON.stringify({ preprocess: { inputSize: [8, 8], resize: 'stretch', layout: 'nhwc' } }));
    const r = cli(['explain', join(SHARED_IMAGES, 'dog.jpg'), '-m', dir, '-o', 'out'], dir);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /weight path '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' climbs out of its folder/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  const labels: [string, (dir: string) => string][] = [
    ['../ climbing', () => '../secret.txt'],
    ['an absolute path', () => SECRET],
    ['a symlink out', (dir) => (symlinkSync(SECRET, join(dir, 'labels.txt')), 'labels.txt')],
  ];
  for (const [name, make] of labels) {
    it(`a model card's labels path with ${name} is a ModelFormatError naming it`, async () => {
      const dir = folder();
      const b = new GraphBuilder();
      b.input('x', 'float32', ['N', 3, 4, 4]);
      b.push('Flatten', [b.add('GlobalAveragePool', ['x'])], ['y'], { axis: 1 });
      b.output('y', 'float32', ['N', 3]);
      writeFileSync(join(dir, 'm.onnx'), writeModel(b.build()));
      const path = make(dir);
      writeFileSync(join(dir, 'm.json'), JSON.stringify({ preprocess: { inputSize: [4, 4] }, labels: path }));
      await assert.rejects(loadClassifier(join(dir, 'm.onnx')), (e: unknown) => {
        assert.ok(e instanceof ModelFormatError, String(e));
        assert.ok(e.message.startsWith(`${join(dir, 'm.json')}: labels path '${path}'`), e.message);
        return true;
      });
    });
  }
});
