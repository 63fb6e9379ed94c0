import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelFormatError } from '../src/errors/model-format-error.js';
import { ModelNotFoundError } from '../src/errors/model-not-found-error.js';
import { UnknownLabelError } from '../src/errors/unknown-label-error.js';
import { labelIndex, loadClassifier, type Classifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';

const SHARED = new URL('../../shared/models/', import.meta.url).pathname;

/** [N,1,4,4] -> Flatten -> MatMul [16,3]: a 3-class "classifier". */
function tinyClassifier(): Uint8Array {
  const b = new GraphBuilder();
  b.input('pixels', 'float32', ['N', 1, 4, 4]);
  const flat = b.add('Flatten', ['pixels'], { axis: 1 });
  b.push('MatMul', [flat, b.floats([16, 3], Array.from({ length: 48 }, (_, i) => i / 48))], ['scores']);
  b.output('scores', 'float32', ['N', 3]);
  return writeModel(b.build());
}

const card = { preprocess: { inputSize: [4, 4], channels: 'grey', resize: 'stretch' }, labels: 'classes.txt' };

let tmp: string;
let mobilenet: Classifier;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'neuromask-classifier-'));
  await writeFile(join(tmp, 'tiny.onnx'), tinyClassifier());
  await writeFile(join(tmp, 'classes.txt'), 'cat\ndog, puppy\nbird\n');
  const saved = process.env['NEUROMASK_HOME'];
  process.env['NEUROMASK_HOME'] = SHARED;
  mobilenet = await loadClassifier('mobilenetv2-imagenet');
  if (saved === undefined) delete process.env['NEUROMASK_HOME'];
  else process.env['NEUROMASK_HOME'] = saved;
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('loadClassifier', () => {
  it('loads an .onnx file with <model>.json beside it', async () => {
    await writeFile(join(tmp, 'tiny.json'), JSON.stringify(card));
    const c = await loadClassifier(join(tmp, 'tiny.onnx'));
    assert.equal(c.name, 'tiny');
    assert.equal(c.inputName, 'pixels');
    assert.equal(c.outputName, 'scores');
    assert.equal(c.outputKind, 'logits');
    assert.deepEqual(c.labels, ['cat', 'dog, puppy', 'bird']);
    assert.equal(c.numClasses, 3);
    assert.deepEqual(c.spec, { inputSize: [4, 4], resize: 'stretch', channels: 'grey', layout: 'nchw', mean: [0], std: [1] });
    assert.deepEqual(c.graph.inputs[0]?.shape, ['N', 1, 4, 4]);
    assert.equal(labelIndex(c, 'puppy'), 1);
    await rm(join(tmp, 'tiny.json'));
  });

  it('falls back to neuromask.json; overrides win', async () => {
    await writeFile(join(tmp, 'neuromask.json'), JSON.stringify({ ...card, name: 'tiny-card' }));
    const c = await loadClassifier(join(tmp, 'tiny.onnx'), { name: 'renamed', labels: ['a', 'b', 'c'], outputKind: 'probabilities' });
    assert.equal(c.name, 'renamed');
    assert.deepEqual(c.labels, ['a', 'b', 'c']);
    assert.equal(c.outputKind, 'probabilities');
    await rm(join(tmp, 'neuromask.json'));
  });

  it('a bad card names the file and the field', async () => {
    await writeFile(join(tmp, 'tiny.json'), JSON.stringify({ preprocess: { inputSize: [4, -4] } }));
    await assert.rejects(loadClassifier(join(tmp, 'tiny.onnx')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.ok(e.message.includes(join(tmp, 'tiny.json')), e.message);
      assert.match(e.message, /preprocess\.inputSize\.1/);
      return true;
    });
    await rm(join(tmp, 'tiny.json'));
  });

  it('a card that does not fit the graph is caught at load', async () => {
    await writeFile(join(tmp, 'tiny.json'), JSON.stringify({ ...card, labels: ['a', 'b'] }));
    await assert.rejects(loadClassifier(join(tmp, 'tiny.onnx')), /3 classes but there are 2 labels/);
    await writeFile(join(tmp, 'tiny.json'), JSON.stringify({ ...card, preprocess: { inputSize: [8, 8], channels: 'grey' } }));
    await assert.rejects(loadClassifier(join(tmp, 'tiny.onnx')), /shape \[N,1,4,4\]/);
    await rm(join(tmp, 'tiny.json'));
  });

  it('without a card: size and layout from the graph, defaults named as assumed; overrides win', async () => {
    const c = await loadClassifier(join(tmp, 'tiny.onnx'));
    // A grey model is not given ImageNet's colour statistics.
    assert.deepEqual(c.spec, { inputSize: [4, 4], resize: 'center-crop', channels: 'grey', layout: 'nchw', mean: [0], std: [1] });
    assert.deepEqual(c.noCard?.fromGraph, ['nchw layout', '1 channel (grey)', '4×4']);
    assert.deepEqual(c.noCard?.assumed, ['zero-one preprocessing (mean 0, std 1)', 'center-crop resize', 'labels 0…2']);
    assert.deepEqual(c.noCard?.cardPaths, [join(tmp, 'tiny.json'), join(tmp, 'neuromask.json')]);
    const o = await loadClassifier(join(tmp, 'tiny.onnx'), { spec: { mean: [0.5], std: [0.25], resize: 'stretch' }, labels: ['a', 'b', 'c'] });
    assert.deepEqual([o.spec.mean, o.spec.std, o.spec.resize], [[0.5], [0.25], 'stretch']);
    assert.deepEqual(o.noCard?.assumed, [], 'nothing left to assume');
    assert.equal(c.labels, undefined);
    assert.equal(c.numClasses, 3);
    assert.throws(() => labelIndex(c, 'cat'), /no labels.*0\.\.2/);
  });

  it('without a card and a graph that leaves height/width open: a size is needed, said in words', async () => {
    const b = new GraphBuilder();
    b.input('x', 'float32', ['N', 3, 'H', 'W']);
    b.push('Flatten', [b.add('GlobalAveragePool', ['x'])], ['y'], { axis: 1 });
    b.output('y', 'float32', ['N', 3]);
    await writeFile(join(tmp, 'dyn.onnx'), writeModel(b.build()));
    await assert.rejects(loadClassifier(join(tmp, 'dyn.onnx')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.match(e.message, /no model card and input 'x' \[N,3,H,W\] has no fixed height and width: give the size \(--size H,W\) or write a card .*dyn\.json/);
      assert.doesNotMatch(e.message, /Invalid input|expected tuple/);
      return true;
    });
    const c = await loadClassifier(join(tmp, 'dyn.onnx'), { spec: { inputSize: [20, 24] } });
    assert.deepEqual(c.spec.inputSize, [20, 24]);
    const f = await loadClassifier(join(tmp, 'dyn.onnx'), { fallbackSize: [224, 224] });
    assert.deepEqual(f.spec.inputSize, [224, 224]);
    assert.match(f.noCard!.assumed.join(';'), /224×224 \(the graph's height and width are not fixed\)/);
  });

  it('invalid preprocessing is described in words, not in raw schema messages', async () => {
    await assert.rejects(loadClassifier(join(tmp, 'tiny.onnx'), { spec: { inputSize: [4, 4], channels: 'grey', resize: 'strech' as 'stretch' } }), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.match(e.message, /resize: must be one of 'stretch', 'center-crop', 'pad'/);
      assert.doesNotMatch(e.message, /Invalid (input|option)|expected one of "/);
      return true;
    });
  });

  it('an unknown ref is ModelNotFoundError', async () => {
    await assert.rejects(loadClassifier(join(tmp, 'nope.onnx')), ModelNotFoundError);
  });

  it('loads the named ImageNet model with its labels', () => {
    assert.equal(mobilenet.numClasses, 1000);
    assert.equal(mobilenet.inputName, 'input');
    assert.equal(mobilenet.outputName, 'output');
    assert.equal(mobilenet.labels?.[0], 'tench, Tinca tinca');
    assert.equal(mobilenet.spec.resizeShorter, 256);
  });
});

describe('labelIndex', () => {
  it('finds a class by name or synonym, case-insensitive', () => {
    assert.equal(labelIndex(mobilenet, 'malamute'), 249);
    assert.equal(labelIndex(mobilenet, 'Alaskan Malamute'), 249);
    assert.equal(labelIndex(mobilenet, 'malamute, malemute, Alaskan malamute'), 249);
    assert.equal(labelIndex(mobilenet, 'maillot'), 638, 'a full-label match wins over a synonym');
  });

  it('takes numbers and numeric strings', () => {
    assert.equal(labelIndex(mobilenet, 22), 22);
    assert.equal(labelIndex(mobilenet, '950'), 950);
  });

  it('out of range names the target and the valid range', () => {
    for (const t of [1000, -1, 2.5, '1000']) {
      assert.throws(() => labelIndex(mobilenet, t), (e: unknown) => {
        assert.ok(e instanceof UnknownLabelError);
        assert.equal(e.target, t);
        assert.match(e.message, /0\.\.999/);
        return true;
      });
    }
  });

  it('an unknown name suggests close labels; an ambiguous one lists the indices', () => {
    assert.throws(() => labelIndex(mobilenet, 'malamut'), (e: unknown) => {
      assert.ok(e instanceof UnknownLabelError);
      assert.match(e.message, /unknown class 'malamut'.*did you mean 'malamute, malemute, Alaskan malamute'/);
      return true;
    });
    assert.throws(() => labelIndex(mobilenet, 'zzzzqqq'), /unknown class 'zzzzqqq' \(1000 labels/);
    assert.throws(() => labelIndex(mobilenet, 'crane'), /ambiguous: 134 'crane', 517 'crane'/);
  });
});
