import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageDir } from '../src/models/packages.js';
import { cli } from './helpers/run-cli.js';
import { astronautFace, SHARED_IMAGES } from './helpers/shared.js';

async function face(dir: string): Promise<string> {
  const p = join(dir, 'face.png');
  writeFileSync(p, await astronautFace());
  return p;
}

/** human's emotion model copied out as a user's own TF.js Graph model folder (model.json + shard). */
function userGraphModel(dir: string): string {
  const src = join(packageDir('@vladmandic/human')!, 'models');
  const m = join(dir, 'my-model');
  mkdirSync(m);
  copyFileSync(join(src, 'emotion.json'), join(m, 'model.json'));
  copyFileSync(join(src, 'emotion.bin'), join(m, 'emotion.bin'));
  return m;
}

describe('neuromask CLI with TF.js models', () => {
  it('explains a face with the packaged emotion model and names the expression', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tfjs-'));
    const r = cli(['explain', await face(dir), '-m', 'human-emotion', '-n', '5', '-o', 'out'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /happy \(class 3\)/);
    const result = JSON.parse(readFileSync(join(dir, 'out', 'face', 'result.json'), 'utf8'));
    assert.equal(result.model, 'human-emotion');
    assert.deepEqual([result.height, result.width], [64, 64]);
  });

  for (const [model, photo] of [['nsfwjs-mobilenet-v2', 'dog.jpg'], ['nsfwjs-mobilenet-v2-mid', 'coffee.png']] as const) {
    it(`explains ${photo} with ${model} from the installed nsfwjs package`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'nm-nsfw-'));
      const r = cli(['explain', join(SHARED_IMAGES, photo), '-m', model, '-n', '2', '--threads', '2', '-o', 'out'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Neutral \(class 2\)/);
      const result = JSON.parse(readFileSync(join(dir, 'out', photo.replace(/\.\w+$/, ''), 'result.json'), 'utf8'));
      assert.deepEqual([result.model, result.height, result.width], [model, 224, 224]);
    });
  }

  it('lists the packaged models with their source, format, classes and input', () => {
    const r = cli(['models', '--json'], tmpdir());
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { name: string; kind: string; format: string; source: string; classes: number; input: string }[];
    const by = new Map(rows.map((x) => [x.name, x]));
    for (const [name, format, classes, input] of [
      ['nsfwjs-mobilenet-v2', 'tfjs-layers', 5, '224x224 rgb nhwc'],
      ['nsfwjs-mobilenet-v2-mid', 'tfjs-graph', 5, '224x224 rgb nhwc'],
      ['human-emotion', 'tfjs-graph', 7, '64x64 grey nhwc'],
    ] as const) {
      const row = by.get(name);
      assert.ok(row, `${name} listed`);
      assert.equal(row.kind, 'package');
      assert.equal(row.format, format);
      assert.equal(row.classes, classes);
      assert.ok(row.input.startsWith(input), row.input);
    }
    assert.match(by.get('nsfwjs-mobilenet-v2')!.source, /^npm nsfwjs@4\.3\.0/);
    assert.match(by.get('human-emotion')!.source, /^npm @vladmandic\/human@3\.3\.6/);
  });

  it('inspect shows a Layers model\'s format and that it can be explained', () => {
    const r = cli(['inspect', 'nsfwjs-mobilenet-v2'], tmpdir());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /format\s+tfjs-layers\n/);
    assert.match(r.stdout, /explains\s+logits: the graph.s final softmax is removed/);
    assert.match(r.stdout, /output\s+logits float32 \[N, 5\]/);
    assert.match(r.stdout, /gradient\s+ok/);
    // The layer counts are the file's own, counted here from the raw topology.
    const raw = createRequire(import.meta.url)(join(packageDir('nsfwjs')!, 'dist/models/mobilenet_v2/model.min.js')) as { modelTopology: { model_config: { config: { layers: { class_name: string }[] } } } };
    const layers = raw.modelTopology.model_config.config.layers;
    for (const cls of ['Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Dense']) {
      assert.match(r.stdout, new RegExp(`tfjs layers .*${cls} ${layers.filter((l) => l.class_name === cls).length}\\b`));
    }
  });

  it('a user\'s TF.js folder: without a card it runs on what the graph says and warns what to write; with one it explains; a lost shard is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tfjs-user-'));
    const m = userGraphModel(dir);
    const img = await face(dir);
    const noCard = cli(['explain', img, '-m', m, '-n', '2', '-o', 'out0'], dir);
    assert.equal(noCard.code, 0, noCard.stderr);
    assert.match(noCard.stderr, /no model card: assuming zero-one preprocessing \(mean 0, std 1\), stretch resize, labels 0…6; from the graph: nhwc layout, 1 channel \(grey\), 64×64; write \S*my-model\/neuromask\.json/);
    const assumed = JSON.parse(readFileSync(join(dir, 'out0', 'face', 'result.json'), 'utf8')).preprocess;
    assert.deepEqual(assumed, { inputSize: [64, 64], resize: 'stretch', channels: 'grey', layout: 'nhwc', mean: [0], std: [1] });

    writeFileSync(join(m, 'neuromask.json'), JSON.stringify({ preprocess: { inputSize: [64, 64], resize: 'stretch', channels: 'grey', layout: 'nhwc', mean: [0.5], std: [0.5] }, labels: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] }));
    const ok = cli(['explain', img, '-m', m, '-n', '2', '-o', 'out'], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /happy/);

    rmSync(join(m, 'emotion.bin'));
    const lost = cli(['explain', img, '-m', join(m, 'model.json'), '-n', '2', '-o', 'out2'], dir);
    assert.equal(lost.code, 4);
    assert.match(lost.stderr, /weight shard 'emotion\.bin' is missing/);
    assert.equal(lost.stderr.trim().split('\n').length, 1, lost.stderr);
  });

  it('an unsupported Keras layer is named with its layer, and every missing type is listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-tfjs-bad-'));
    const layers = [
      { class_name: 'Conv2D', config: { name: 'conv', filters: 2, kernel_size: [3, 3], batch_input_shape: [null, 8, 8, 3] } },
      { class_name: 'LSTM', config: { name: 'lstm_1', units: 4 } },
      { class_name: 'Bidirectional', config: { name: 'bi' } },
      { class_name: 'Dense', config: { name: 'out', units: 2 } },
    ];
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers } }, weightsManifest: [] }));
    writeFileSync(join(dir, 'm', 'neuromask.json'), JSON.stringify({ preprocess: { inputSize: [8, 8], resize: 'stretch', layout: 'nhwc' } }));
    const r = cli(['explain', join(SHARED_IMAGES, 'dog.jpg'), '-m', join(dir, 'm'), '-o', 'out'], dir);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /unsupported op LSTM \(node "lstm_1"\)/);
    assert.match(r.stderr, /Bidirectional 'bi'/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // inspect still reports what the model holds, and what blocks it.
    const i = cli(['inspect', join(dir, 'm'), '--json'], dir);
    assert.equal(i.code, 4, i.stderr);
    const report = JSON.parse(i.stdout);
    assert.equal(report.format, 'tfjs-layers');
    assert.deepEqual(report.input, [null, 8, 8, 3]);
    assert.deepEqual(report.sourceOps, { Conv2D: 1, LSTM: 1, Bidirectional: 1, Dense: 1 });
    assert.deepEqual(report.blockedBy, ["LSTM 'lstm_1'", "Bidirectional 'bi'"]);
  });
});
