import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeNpy } from '../src/io/npy.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { cli } from './helpers/run-cli.js';
import { SHARED_IMAGES } from './helpers/shared.js';

const dog = join(SHARED_IMAGES, 'dog.jpg');

/** A classifier whose path goes through Cos, which has no gradient rule. */
function cosineModel(): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('input', 'float32', ['N', 3, 8, 8]);
  const y = b.add('Flatten', [b.add('GlobalAveragePool', [b.add('Cos', [x])])]);
  b.push('Gemm', [y, b.floats([2, 3], [1, 0, 0, 0, 1, 0])], ['logits'], { transB: 1 });
  b.output('logits', 'float32', ['N', 2]);
  return writeModel(b.build());
}

describe('neuromask CLI', () => {
  it('explain writes every output file, complete and readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-cli-'));
    const r = cli(['explain', dog, '-m', 'mobilenetv2-imagenet', '-n', '3', '--history', '1', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /malamute .*class 249/);
    const out = join(dir, 'out', 'dog');
    assert.deepEqual(readdirSync(out).sort(), ['evolution.gif', 'map.npy', 'mask.npy', 'mask.png', 'masked.png', 'overlay.png', 'result.json']);
    const npy = decodeNpy(readFileSync(join(out, 'mask.npy')));
    assert.deepEqual(npy.shape, [224, 224]);
    // map.npy: the refined map, zero where the mask is and at least the mask everywhere.
    const map = decodeNpy(readFileSync(join(out, 'map.npy')));
    assert.deepEqual(map.shape, [224, 224]);
    assert.ok(map.data.every((v, i) => v >= npy.data[i]! - 1e-6), 'map ≥ mask');
    const png = await sharp(join(out, 'mask.png')).raw().toBuffer({ resolveWithObject: true });
    assert.equal(png.info.width, 224);
    // mask.png is the .npy mask quantised to 8 bits.
    assert.ok(Math.abs(png.data[png.info.channels * 1000]! - Math.round(255 * npy.data[1000]!)) <= 1);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    assert.equal(result.target.index, 249);
    assert.equal(result.lossCurve.length, 3);
    assert.equal(result.config.iterations, 3);
    assert.equal((await sharp(join(out, 'evolution.gif')).metadata()).pages, 4);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['dog'], 'no temporary folders left');
  });

  const bad: [string, string[], number, RegExp][] = [
    ['missing image', ['explain', 'nope.jpg', '-m', 'mobilenetv2-imagenet'], 3, /nope\.jpg: file not found/],
    ['corrupt image', ['explain', 'corrupt.jpg', '-m', 'mobilenetv2-imagenet'], 3, /corrupt\.jpg: cannot decode image/],
    ['not an ONNX model', ['explain', dog, '-m', 'notamodel.onnx'], 4, /not an ONNX model/],
    ['op without a gradient rule', ['explain', dog, '-m', 'cos.onnx'], 4, /unsupported op Cos \(node "n_Cos.*no gradient rule/],
    ['unknown model name', ['explain', dog, '-m', 'resnet-9000'], 4, /no built-in or named model/],
    ['target out of range', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--target', '1000'], 2, /out of range.*0\.\.999/],
    ['unknown label', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--target', 'zebrafoo'], 2, /unknown class 'zebrafoo'/],
    ['bad preset', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--preset', 'fast'], 2, /preset/],
    ['bad iterations', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--iterations', '0'], 2, /iterations/],
    ['init mask of the wrong size', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--init-mask', 'small.npy'], 2, /initial mask logits have 4 values/],
    ['unknown execution provider', ['explain', dog, '-m', 'mobilenetv2-imagenet', '--ep', 'tpu'], 2, /ep/],
  ];
  for (const [name, args, code, message] of bad) {
    it(`bad input (${name}): one clear line, exit ${code}, no output`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'nm-bad-'));
      writeFileSync(join(dir, 'corrupt.jpg'), 'not a jpeg');
      writeFileSync(join(dir, 'notamodel.onnx'), 'garbage');
      writeFileSync(join(dir, 'notamodel.json'), JSON.stringify({ preprocess: { inputSize: [224, 224] } }));
      writeFileSync(join(dir, 'cos.onnx'), cosineModel());
      writeFileSync(join(dir, 'cos.json'), JSON.stringify({ preprocess: { inputSize: [8, 8], resize: 'stretch' } }));
      writeFileSync(join(dir, 'small.npy'), Buffer.from(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0x76, 0, ...Buffer.from(`{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }`.padEnd(117) + '\n'), ...new Uint8Array(16)])));
      const r = cli([...args, '-o', 'out'], dir);
      assert.equal(r.code, code, `stderr: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.equal(existsSync(join(dir, 'out')), false);
    });
  }

  it('explain --method runs any registered method and writes its map', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-cli-m-'));
    const r = cli(['explain', dog, '-m', 'mobilenetv2-imagenet', '--method', 'occlusion', '--options', '{"patch": 56, "stride": 56}', '--no-spin', '--threads', '1', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /occlusion for malamute.*17 forward \/ 0 backward/);
    const out = join(dir, 'out', 'dog');
    assert.deepEqual(readdirSync(out).sort(), ['map.npy', 'map.png', 'overlay.png', 'result.json']);
    const result = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8'));
    assert.equal(result.method, 'occlusion');
    assert.equal(result.options.patch, 56);
    assert.deepEqual(decodeNpy(readFileSync(join(out, 'map.npy'))).shape, [224, 224]);
    const bad = cli(['explain', dog, '-m', 'mobilenetv2-imagenet', '--method', 'occlusion', '--options', '{"patch": -1}', '-o', 'out2'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /patch/);
  });

  it('inspect reports ops and that the gradient is available', () => {
    const r = cli(['inspect', 'mobilenetv2-imagenet'], tmpdir());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /QLinearConv 52/);
    assert.match(r.stdout, /prepared +Clip 66, Conv 52/);
    assert.match(r.stdout, /gradient +ok/);
  });

  it('models lists the named model and where it is', () => {
    const r = cli(['models'], tmpdir());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /mobilenetv2-imagenet +named +onnx +1000 classes/);
    // ../shared/models is the cache here, so the file is found, and its licence is shown.
    assert.match(r.stdout, /ONNX Model Zoo.*\(Apache-2\.0\)\n +\S*mobilenetv2-12-int8\.onnx/);
  });
});
