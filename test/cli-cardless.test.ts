import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { ModelCardSchema } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { cli } from './helpers/run-cli.js';

// A torchvision-style export: an .onnx file and nothing else. GlobalAveragePool → Gemm is linear in
// the normalised pixels, so on a one-colour image the logits can be worked out by hand below.
const W = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
  [1, -1, 0.5],
];
const B = [0.1, 0, -0.1, 0];
const COLOUR = [200, 100, 50];

function torchvisionStyle(height: number | string, width: number | string): Uint8Array {
  const b = new GraphBuilder();
  b.input('input', 'float32', ['N', 3, height, width]);
  const y = b.add('Flatten', [b.add('GlobalAveragePool', ['input'])], { axis: 1 });
  b.push('Gemm', [y, b.floats([4, 3], W.flat()), b.floats([4], B)], ['logits'], { transB: 1 });
  b.output('logits', 'float32', ['N', 4]);
  return writeModel(b.build('torchvision-style'));
}

/** Softmax of W·((colour/255 − mean)/std) + b: the probabilities the model must give. */
function expected(mean: readonly number[], std: readonly number[]): number[] {
  const z = COLOUR.map((v, c) => (v / 255 - (mean[c] ?? mean[0]!)) / (std[c] ?? std[0]!));
  const logits = W.map((row, k) => row.reduce((s, w, c) => s + w * z[c]!, B[k]!));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  return e.map((v) => v / e.reduce((a, x) => a + x, 0));
}

interface Result {
  preprocess: { inputSize: number[]; mean: number[]; std: number[]; resize: string; layout: string };
  target: { index: number; label?: string };
  probabilities: { top5: { index: number; probability: number; label?: string }[] };
}

let dir: string;
const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nm-cardless-'));
  writeFileSync(join(dir, 'tv.onnx'), torchvisionStyle(32, 32));
  mkdirSync(join(dir, 'dyn'));
  writeFileSync(join(dir, 'dyn', 'dyn.onnx'), torchvisionStyle('H', 'W'));
  mkdirSync(join(dir, 'images'));
  const png = await sharp({ create: { width: 48, height: 40, channels: 3, background: { r: COLOUR[0]!, g: COLOUR[1]!, b: COLOUR[2]! } } }).png().toBuffer();
  for (const name of ['a.png', 'b.png']) writeFileSync(join(dir, 'images', name), png);
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(['red', 'green', 'blue', 'mixed']));
  writeFileSync(join(dir, 'labels.txt'), 'red\ngreen\nblue\nmixed\n');
});

const result = (out: string, image = 'a'): Result => JSON.parse(readFileSync(join(dir, out, image, 'result.json'), 'utf8')) as Result;
const warnings = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes('no model card'));

/** Every class's probability in result.json against the hand-worked softmax (8-bit decode: ±0.5/255 per channel). */
function assertProbabilities(r: Result, mean: readonly number[], std: readonly number[]): void {
  const want = expected(mean, std);
  assert.equal(r.probabilities.top5.length, 4);
  for (const t of r.probabilities.top5) assert.ok(Math.abs(t.probability - want[t.index]!) < 2e-3, `class ${t.index}: ${t.probability} vs ${want[t.index]}`);
}

describe('a model without a card', () => {
  it('inspect: exit 0, preprocessing from the graph and the assumed defaults named', () => {
    const r = cli(['inspect', 'tv.onnx'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /preprocess +32x32 rgb nchw, center-crop, mean \[0\.485, 0\.456, 0\.406\], std \[0\.229, 0\.224, 0\.225\]/);
    assert.match(r.stdout, /card +none: assuming imagenet preprocessing/);
    assert.match(r.stdout, /gradient +ok/);
    const dyn = cli(['inspect', 'dyn/dyn.onnx', '--json'], dir);
    assert.equal(dyn.code, 0, dyn.stderr);
    assert.match(JSON.parse(dyn.stdout).noCard.assumed.join(';'), /224×224 \(the graph's height and width are not fixed\)/);
  });

  it('explain: exit 0 on a folder, the assumptions warned about once, imagenet preprocessing recorded and applied', () => {
    const r = cli(['explain', 'images', '-m', 'tv.onnx', '-n', '1', '-o', 'out-default'], dir);
    assert.equal(r.code, 0, r.stderr);
    const w = warnings(r.stderr);
    assert.equal(w.length, 1, r.stderr);
    assert.match(w[0]!, /^neuromask: warning: no model card: assuming imagenet preprocessing \(mean 0\.485,0\.456,0\.406, std 0\.229,0\.224,0\.225\), center-crop resize, labels 0…3; from the graph: nchw layout, 32×32; write \S*tv\.json or \S*neuromask\.json to fix them — `neuromask inspect --card tv\.onnx`/);
    for (const image of ['a', 'b']) {
      const res = result('out-default', image);
      assert.deepEqual([res.preprocess.mean, res.preprocess.std, res.preprocess.inputSize], [IMAGENET.mean, IMAGENET.std, [32, 32]]);
      assertProbabilities(res, IMAGENET.mean, IMAGENET.std);
    }
  });

  const runs: [string, string[], number[], number[]][] = [
    ['--preprocess minus-one-one', ['--preprocess', 'minus-one-one'], [0.5], [0.5]],
    ['--preprocess zero-one', ['--preprocess', 'zero-one'], [0], [1]],
    ['--mean/--std over --preprocess', ['--preprocess', 'imagenet', '--mean', '0.1,0.2,0.3', '--std', '0.5'], [0.1, 0.2, 0.3], [0.5]],
  ];
  for (const [name, flags, mean, std] of runs) {
    it(`${name}: recorded in result.json, and the logits move as that normalisation says`, () => {
      const out = `out-${name.replace(/\W+/g, '')}`;
      const r = cli(['explain', 'images/a.png', '-m', 'tv.onnx', '-n', '1', '-o', out, ...flags], dir);
      assert.equal(r.code, 0, r.stderr);
      const res = result(out);
      assert.deepEqual([res.preprocess.mean, res.preprocess.std], [mean, std]);
      assertProbabilities(res, mean, std);
      const w = warnings(r.stderr);
      assert.equal(w.length, 1, 'the resize and labels are still assumed');
      assert.doesNotMatch(w[0]!, /imagenet preprocessing/);
    });
  }

  it('with every value given (labels as a .json array) nothing is assumed and nothing warned', () => {
    const r = cli(['explain', 'images/a.png', '-m', 'tv.onnx', '-n', '1', '-o', 'out-all', '--preprocess', 'imagenet', '--resize', 'center-crop', '--labels', 'labels.json'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(warnings(r.stderr), []);
    const res = result('out-all');
    assert.equal(res.target.label, ['red', 'green', 'blue', 'mixed'][res.target.index]);
    assert.match(r.stdout, /\((class \d)\)/);
  });

  it('inspect --card prints a valid card; saved beside the model it is used, with no warning', () => {
    const printed = cli(['inspect', '--card', 'tv.onnx', '--preprocess', 'zero-one', '--labels', 'labels.txt'], dir);
    assert.equal(printed.code, 0, printed.stderr);
    const card = ModelCardSchema.parse(JSON.parse(printed.stdout));
    assert.deepEqual([card.preprocess.mean, card.preprocess.std, card.preprocess.inputSize, card.labels], [[0], [1], [32, 32], ['red', 'green', 'blue', 'mixed']]);
    const cardDir = join(dir, 'carded');
    mkdirSync(cardDir);
    writeFileSync(join(cardDir, 'tv.onnx'), torchvisionStyle(32, 32));
    writeFileSync(join(cardDir, 'tv.json'), printed.stdout);
    const r = cli(['explain', join(dir, 'images', 'a.png'), '-m', 'tv.onnx', '-n', '1', '-o', 'out'], cardDir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(warnings(r.stderr), []);
    assertProbabilities(JSON.parse(readFileSync(join(cardDir, 'out', 'a', 'result.json'), 'utf8')) as Result, [0], [1]);
    // Flags still override the card.
    const over = cli(['explain', join(dir, 'images', 'a.png'), '-m', 'tv.onnx', '-n', '1', '-o', 'out2', '--preprocess', 'imagenet'], cardDir);
    assert.equal(over.code, 0, over.stderr);
    assertProbabilities(JSON.parse(readFileSync(join(cardDir, 'out2', 'a', 'result.json'), 'utf8')) as Result, IMAGENET.mean, IMAGENET.std);
  });

  it('a graph without fixed height/width: explain says in words that it needs --size; with --size it runs', () => {
    const no = cli(['explain', 'images/a.png', '-m', 'dyn/dyn.onnx', '-n', '1', '-o', 'out-dyn'], dir);
    assert.equal(no.code, 4, no.stderr);
    assert.match(no.stderr, /no model card and input 'input' \[N,3,H,W\] has no fixed height and width: give the size \(--size H,W\) or write a card \S*dyn\.json/);
    assert.doesNotMatch(no.stderr, /Invalid input|expected tuple|received undefined/);
    assert.equal(no.stderr.trim().split('\n').length, 1, no.stderr);
    assert.equal(existsSync(join(dir, 'out-dyn')), false);
    const yes = cli(['explain', 'images/a.png', '-m', 'dyn/dyn.onnx', '-n', '1', '-o', 'out-dyn', '--size', '24,28'], dir);
    assert.equal(yes.code, 0, yes.stderr);
    assert.deepEqual(result('out-dyn').preprocess.inputSize, [24, 28]);
  });

  it('compare takes the same flags', () => {
    const r = cli(['compare', 'images/a.png', '-m', 'tv.onnx', '--methods', 'gradient', '--preprocess', 'zero-one', '-o', 'cmp'], dir);
    assert.equal(r.code, 0, r.stderr);
    const w = warnings(r.stderr);
    assert.equal(w.length, 1, r.stderr);
    assert.doesNotMatch(w[0]!, /imagenet/);
    assert.ok(existsSync(join(dir, 'cmp', 'results.json')));
  });

  const bad: [string, string[], RegExp][] = [
    ['unknown preset', ['--preprocess', 'caffe'], /--preprocess: must be one of 'imagenet', 'inception', 'zero-one', 'minus-one-one'/],
    ['mean of two values', ['--mean', '0.5,0.5'], /mean: expected 1 or 3 comma-separated numbers .*got '0\.5,0\.5'/],
    ['mean not a number', ['--mean', 'a,b,c'], /mean: expected 1 or 3/],
    ['zero std', ['--std', '0'], /std: expected 1 or 3 comma-separated positive numbers/],
    ['negative std', ['--std', '-1,1,1'], /std: expected/],
    ['zero size', ['--size', '0'], /size: expected H or H,W/],
    ['size with x', ['--size', '32x32'], /size: expected H or H,W .*got '32x32'/],
    ['size the graph contradicts', ['--size', '30'], /input 'input' has shape \[N,3,32,32\] but the options given say nchw rgb 30x30/],
    ['unknown layout', ['--layout', 'chw'], /--layout: must be one of 'nchw', 'nhwc'/],
    ['unknown resize', ['--resize', 'fill'], /--resize: must be one of .*'center-crop'/],
    ['missing labels file', ['--labels', 'nope.txt'], /--labels: .*nope\.txt/],
  ];
  for (const [name, flags, message] of bad) {
    it(`bad flag (${name}): exit 2, one line, no output`, () => {
      const r = cli(['explain', 'images/a.png', '-m', 'tv.onnx', '-n', '1', '-o', 'out-bad', ...flags], dir);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(join(dir, 'out-bad')), false);
    });
  }
});
