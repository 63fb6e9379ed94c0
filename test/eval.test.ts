import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import sharp from 'sharp';
import { z } from 'zod';
import { registerEvaluate } from '../src/cli/commands/evaluate.js';
import { registerCompare } from '../src/cli/commands/compare.js';
import { UsageError } from '../src/errors/usage-error.js';
import { checkBoxes, imageIds, parseManifest, readManifest } from '../src/eval/manifest.js';
import { runEvaluation, writeResults, type EvalItem } from '../src/eval/runner.js';
import { defineMethod } from '../src/methods/method.js';
import { registerMethod } from '../src/methods/registry.js';
import { writeModel } from '../src/onnx/write.js';
import { CSV_COLUMNS } from '../src/report/csv.js';
import { Engine } from '../src/runtime/engine.js';
import { tinyClassifier } from './helpers/tiny-classifier.js';

const S = 16; // the tiny classifier's input size

/** Calls per image source, so tests can see which pairs were computed and which restored. */
const calls: string[] = [];
let failOn: string | undefined;

/** A map that peaks at (x, y) and falls off linearly: the pointing game's answer is known. */
const peakMethod = defineMethod({
  name: 'test-peak',
  description: 'test double: a map peaking at a given pixel',
  options: z.strictObject({ x: z.number().int().default(2), y: z.number().int().default(2) }),
  async explain(_ctx, image, target, o) {
    calls.push(image.source);
    if (failOn && image.source.endsWith(failOn)) throw new Error('simulated crash');
    const map = new Float32Array(S * S);
    for (let i = 0; i < map.length; i++) map[i] = -Math.hypot((i % S) - o.x, Math.floor(i / S) - o.y);
    return { method: 'test-peak', map, height: S, width: S, target: { index: target, label: undefined }, cost: { forwardPasses: 0, backwardPasses: 0, seconds: 0.5 }, options: o };
  },
});
registerMethod(peakMethod);

/** Seeds passed to the seeded double, so tests can see the extra stability and sanity runs. */
const seededCalls: number[] = [];

/** A map made of noise from the seed, plus a shared ramp: it depends on the seed but not on the model. */
registerMethod(defineMethod({
  name: 'test-seeded',
  description: 'test double: seeded noise over a ramp',
  options: z.object({}),
  async explain(ctx, _image, target, o) {
    seededCalls.push(ctx.seed);
    let s = ctx.seed * 2654435761 + 1;
    const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const map = Float32Array.from({ length: S * S }, (_, i) => i / (S * S) + next());
    return { method: 'test-seeded', map, height: S, width: S, target: { index: target, label: undefined }, cost: { forwardPasses: 0, backwardPasses: 0, seconds: 0 }, options: o };
  },
}));

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'nm-eval-'));
}

/** n random 16×16 RGB PNGs in `dir`, named 0.png … */
async function writeImages(dir: string, n: number): Promise<string[]> {
  const paths: string[] = [];
  for (let k = 0; k < n; k++) {
    const data = Buffer.from(Array.from({ length: S * S * 3 }, (_, i) => (i * 37 + k * 91) % 256));
    const p = join(dir, `${k}.png`);
    await sharp(data, { raw: { width: S, height: S, channels: 3 } }).png().toFile(p);
    paths.push(p);
  }
  return paths;
}

/** The tiny classifier as model.onnx + neuromask.json, so the CLI can load it by path. */
function writeTinyModel(dir: string): string {
  const c = tinyClassifier();
  writeFileSync(join(dir, 'model.onnx'), writeModel(c.graph));
  writeFileSync(join(dir, 'neuromask.json'), JSON.stringify({ preprocess: { inputSize: [S, S], resize: 'stretch', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }, labels: c.labels }));
  return join(dir, 'model.onnx');
}

/** Run the CLI in-process (the test's own method registry holds the fake method); returns stdout. */
async function cli(register: (p: Command) => void, args: string[]): Promise<string> {
  const program = new Command('neuromask').exitOverride();
  register(program);
  let out = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  return out;
}

function parseCsv(text: string): string[][] {
  return text.trim().split('\n').map((l) => l.split(','));
}

describe('evaluation manifest', () => {
  const bad: [string, unknown, RegExp][] = [
    ['no images list', {}, /m\.json: images: /],
    ['empty list', { images: [] }, /m\.json: images: the manifest lists no images/],
    ['file missing', { images: [{ target: 1 }] }, /m\.json: images\.0\.file: /],
    ['negative target', { images: [{ file: 'a.png', target: -1 }] }, /m\.json: images\.0\.target: /],
    ['box of three numbers', { images: [{ file: 'a.png' }, { file: 'b.png', boxes: [[1, 2, 3]] }] }, /m\.json: images\.1\.boxes\.0: /],
    ['inverted box', { images: [{ file: 'a.png', boxes: [[5, 5, 2, 9]] }] }, /images\.0\.boxes\.0: a box is \[x0, y0, x1, y1\] with x0 <= x1/],
    ['misspelt entry key', { images: [{ file: 'a.png' }, { file: 'b.png', bbox: [[0, 0, 1, 1]] }] }, /m\.json: images\.1: unknown key 'bbox'; did you mean 'boxes'\?/],
    ['misspelt top-level key', { images: [{ file: 'a.png' }], imagez: [] }, /m\.json: unknown key 'imagez'; did you mean 'images'\?/],
    ['raw schema words', { images: [{ file: 'a.png', boxes: 'none' }] }, /m\.json: images\.0\.boxes: expected a list, got a string$/],
    ['a path climbing out', { images: [{ file: 'a.png' }, { file: 'sub/../../a.png' }] }, /m\.json: images\.1\.file: 'sub\/\.\.\/\.\.\/a\.png' climbs out of its folder with '\.\.'/],
    ['an absolute path', { images: [{ file: '/etc/passwd' }] }, /m\.json: images\.0\.file: '\/etc\/passwd' is absolute/],
    ['a Windows absolute path', { images: [{ file: 'C:\\data\\a.png' }] }, /images\.0\.file: .* is absolute/],
  ];
  for (const [name, json, message] of bad) {
    it(`rejects ${name}, naming the manifest and the field`, () => {
      assert.throws(() => parseManifest(json, 'm.json'), (e: unknown) => e instanceof UsageError && message.test(e.message));
    });
  }

  it('resolves files against the manifest folder and gives unique ids', () => {
    const entries = parseManifest({ images: [{ file: 'a/x.png', target: 'Bag', boxes: [[0, 1, 2, 3]] }, { file: 'b/x.png', target: 3 }] }, '/data/set/m.json');
    assert.deepEqual(entries, [
      { id: 'x', source: '/data/set/a/x.png', target: 'Bag', boxes: [[0, 1, 2, 3]] },
      { id: 'x-2', source: '/data/set/b/x.png', target: 3 },
    ]);
    assert.deepEqual(imageIds(['p/q r.png', 'q r.jpg']), ['q_r', 'q_r-2']);
  });

  it('keeps the informational keys the benchmark generator writes', () => {
    assert.equal(parseManifest({ source: 'make.py', seed: 1, images: [{ file: 'a.png', predicted: 3 }] }, 'm.json').length, 1);
  });

  it('refuses an image path that is a symlink out of the manifest folder', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'set'));
    writeFileSync(join(dir, 'secret.png'), 'x');
    symlinkSync(join(dir, 'secret.png'), join(dir, 'set', 'a.png'));
    writeFileSync(join(dir, 'set', 'm.json'), JSON.stringify({ images: [{ file: 'a.png' }] }));
    await assert.rejects(readManifest(join(dir, 'set', 'm.json')), /images\.0\.file: 'a\.png' resolves to .*secret\.png, outside /);
    // Inside is fine, through a symlink or not; a missing file is left to the image loader.
    symlinkSync(join(dir, 'set', 'm.json'), join(dir, 'set', 'b.png'));
    writeFileSync(join(dir, 'set', 'm2.json'), JSON.stringify({ images: [{ file: 'b.png' }, { file: 'absent.png' }] }));
    assert.equal((await readManifest(join(dir, 'set', 'm2.json'))).length, 2);
  });

  it('reports unreadable JSON and boxes outside the input', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'm.json'), '{ nope');
    await assert.rejects(readManifest(join(dir, 'm.json')), /m\.json: not valid JSON/);
    await assert.rejects(readManifest(join(dir, 'absent.json')), /absent\.json: cannot read \(ENOENT\)/);
    const entries = parseManifest({ images: [{ file: 'a.png', boxes: [[0, 0, 16, 3]] }] }, 'm.json');
    assert.throws(() => checkBoxes(entries, S, S, 'm.json'), /m\.json: images\.0\.boxes\.0: .*outside the model's 16×16 input/);
  });
});

describe('evaluation runner', () => {
  it('refuses options that would be ignored or that a method does not know, before any work', async () => {
    const dir = tmp();
    const items: EvalItem[] = (await writeImages(dir, 1)).map((source) => ({ id: '0', source }));
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    const out = join(dir, 'out');
    const cases: [Record<string, Record<string, unknown>>, RegExp][] = [
      [{ neuromask: { iterations: 2 } }, /options given for 'neuromask', which is not among the methods run \(test-peak\)/],
      [{ 'test-peek': { x: 1 } }, /options given for unknown method 'test-peek'; did you mean 'test-peak'\?/],
      [{ 'test-peak': { z: 1 } }, /unknown option 'z' for test-peak/],
      [{ 'test-peak': { x: 'left' } }, /option x for test-peak: expected a number, got a string/],
    ];
    try {
      calls.length = 0;
      for (const [methodOptions, message] of cases) {
        await assert.rejects(runEvaluation(engine, items, { methods: ['test-peak'], out, methodOptions }), (e: unknown) => e instanceof UsageError && message.test(e.message));
      }
      assert.deepEqual(calls, [], 'nothing ran');
      assert.equal(existsSync(out), false);
    } finally {
      await engine.release();
    }
  });

  it('skips finished pairs when started again, and recomputes when the settings change', async () => {
    const dir = tmp();
    const paths = await writeImages(dir, 3);
    const items: EvalItem[] = paths.map((source, i) => ({ id: String(i), source }));
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    const out = join(dir, 'out');
    try {
      calls.length = 0;
      failOn = '2.png'; // the first run dies on the third image
      await assert.rejects(runEvaluation(engine, items, { methods: ['test-peak'], out }), /simulated crash/);
      assert.equal(calls.length, 3);
      assert.ok(existsSync(join(out, 'pairs', '1', 'test-peak.json')) && !existsSync(join(out, 'pairs', '2', 'test-peak.json')));
      failOn = undefined;
      calls.length = 0;
      const r = await runEvaluation(engine, items, { methods: ['test-peak'], out });
      assert.deepEqual(calls, [paths[2]], 'only the unfinished pair runs again');
      assert.equal(r.pairs.length, 3);
      assert.equal(r.restored, 2);
      // Restored pairs carry the same numbers as when they were computed.
      const again = await runEvaluation(engine, items, { methods: ['test-peak'], out });
      assert.deepEqual(again.pairs, r.pairs);
      assert.equal(calls.length, 1, 'a complete run computes nothing');
      await runEvaluation(engine, items, { methods: ['test-peak'], out, seed: 7 });
      assert.equal(calls.length, 4, 'another seed is another experiment');
      await runEvaluation(engine, items, { methods: ['test-peak'], out, seed: 7, methodOptions: { 'test-peak': { x: 5 } } });
      assert.equal(calls.length, 7, 'other method options too');
      const c = tinyClassifier();
      const other = new Engine({ ...c, spec: { ...c.spec, mean: [0.4, 0.4, 0.4], std: [0.3, 0.3, 0.3] } }, { ep: 'cpu', threads: 1 });
      try {
        await runEvaluation(other, items, { methods: ['test-peak'], out, seed: 7, methodOptions: { 'test-peak': { x: 5 } } });
        assert.equal(calls.length, 10, 'other preprocessing (e.g. --preprocess) too');
      } finally {
        await other.release();
      }
    } finally {
      await engine.release();
    }
  });

  it('stability across seeds: < 1 for a seeded map, exactly 1 for a seed-independent one', async () => {
    const dir = tmp();
    const [source] = await writeImages(dir, 1);
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    try {
      seededCalls.length = 0;
      const r = await runEvaluation(engine, [{ id: 'a', source: source! }], { methods: ['test-seeded', 'test-peak'], out: join(dir, 'out'), seed: 4, stability: 3 });
      assert.deepEqual(seededCalls, [4, 5, 6], 'seeds seed … seed+k−1');
      const [seeded, peak] = r.pairs;
      assert.ok(seeded!.stability! > 0 && seeded!.stability! < 0.99, `seeded: ${seeded!.stability}`);
      assert.equal(peak!.stability, 1);
      assert.equal(peak!.sanityTop, null, 'off unless asked for');
      assert.equal(r.stability, 3);
      assert.equal(r.summary[0]!.means.stability, seeded!.stability);
      await assert.rejects(runEvaluation(engine, [{ id: 'a', source: source! }], { methods: ['test-peak'], out: join(dir, 'out'), stability: 1 }), /--stability: expected 0 \(off\) or a number of seeds ≥ 2/);
    } finally {
      await engine.release();
    }
  });

  it('sanity check: ρ = 1 for a map that ignores the model, < 1 for the gradient once all layers are random', async () => {
    const dir = tmp();
    const [source] = await writeImages(dir, 1);
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    try {
      const r = await runEvaluation(engine, [{ id: 'a', source: source!, target: 1 }], { methods: ['test-peak', 'test-seeded', 'gradient'], out: join(dir, 'out'), sanity: true });
      const [peak, seeded, gradient] = r.pairs;
      assert.deepEqual([peak!.sanityTop, peak!.sanityAll], [1, 1]);
      assert.deepEqual([seeded!.sanityTop, seeded!.sanityAll], [1, 1], 'same seed on every model');
      assert.ok(gradient!.sanityAll! < 0.99, `gradient, all layers random: ρ ${gradient!.sanityAll}`);
      assert.ok(Number.isFinite(gradient!.sanityTop), `gradient, top layer random: ρ ${gradient!.sanityTop}`);
      assert.equal(gradient!.stability, null);
      const saved = JSON.parse(readFileSync(join(dir, 'out', 'pairs', 'a', 'gradient.json'), 'utf8'));
      assert.equal(saved.sanity.all, gradient!.sanityAll);
      assert.ok(saved.sanity.topProbability >= 0 && saved.sanity.topProbability <= 1);
    } finally {
      await engine.release();
    }
  });

  it('resume adds the opt-in metrics to saved pairs when they are asked for, and reuses them after', async () => {
    const dir = tmp();
    const paths = await writeImages(dir, 2);
    const items: EvalItem[] = paths.map((source, i) => ({ id: String(i), source }));
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    const out = join(dir, 'out');
    const run = async (extra: { stability?: number; sanity?: boolean }) => {
      seededCalls.length = 0;
      return runEvaluation(engine, items, { methods: ['test-seeded'], out, seed: 1, ...extra });
    };
    try {
      const plain = await run({});
      assert.deepEqual(seededCalls, [1, 1]);
      assert.equal(plain.pairs[0]!.stability, null);
      const withStab = await run({ stability: 3 });
      assert.deepEqual(seededCalls, [2, 3, 2, 3], 'only the extra seeds run: the saved map is the first');
      assert.equal(withStab.restored, 0, 'a pair completed with new metrics is not counted as restored');
      assert.deepEqual(withStab.pairs.map((p) => [p.deletionAuc, p.insertionAuc]), plain.pairs.map((p) => [p.deletionAuc, p.insertionAuc]));
      const again = await run({ stability: 3 });
      assert.deepEqual(seededCalls, [], 'nothing to compute');
      assert.equal(again.restored, 2);
      assert.deepEqual(again.pairs, withStab.pairs);
      await run({ stability: 4 });
      assert.deepEqual(seededCalls, [2, 3, 4, 2, 3, 4], 'another k is recomputed');
      const sane = await run({ stability: 4, sanity: true });
      assert.deepEqual(seededCalls, [1, 1, 1, 1], 'sanity: two runs per pair (top layer, all layers random)');
      assert.ok(sane.pairs.every((p) => p.sanityTop === 1 && p.sanityAll === 1 && p.stability !== null));
      const off = await run({});
      assert.deepEqual(seededCalls, []);
      assert.ok(off.pairs.every((p) => p.stability === null && p.sanityTop === null && p.sanityAll === null), 'null when off');
      await run({ sanity: true });
      assert.deepEqual(seededCalls, [], 'saved sanity scores are reused');
    } finally {
      await engine.release();
    }
  });

  it('rejects an unknown method before doing any work', async () => {
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    await assert.rejects(runEvaluation(engine, [{ id: 'a', source: 'a.png' }], { methods: ['test-peak', 'nope'], out: tmp() }), /unknown method 'nope' \(known: .*neuromask/);
    await engine.release();
  });

  it('writes results.csv with one row per pair and the per-method means', async () => {
    const dir = tmp();
    const paths = await writeImages(dir, 2);
    const engine = new Engine(tinyClassifier(), { ep: 'cpu', threads: 1 });
    const out = join(dir, 'out');
    try {
      const items = paths.map((source, i) => ({ id: `img${i}`, source }));
      const r = await runEvaluation(engine, items, { methods: ['test-peak', 'neuromask'], out, methodOptions: { neuromask: { iterations: 3 } } });
      await writeResults(out, r);
      const [head = [], ...rows] = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
      assert.deepEqual([...head], [...CSV_COLUMNS]);
      assert.equal(rows.length, 2 * 2 + 2);
      const col = (name: string) => head.indexOf(name);
      for (const method of ['test-peak', 'neuromask']) {
        const own = rows.filter((row) => row[col('method')] === method && row[col('image')] !== '(mean)');
        const meanRow = rows.find((row) => row[col('method')] === method && row[col('image')] === '(mean)')!;
        assert.equal(own.length, 2);
        for (const k of ['deletion_auc', 'insertion_auc', 'seconds', 'forward_passes']) {
          const expected = own.reduce((s, row) => s + Number(row[col(k)]), 0) / own.length;
          assert.ok(Math.abs(Number(meanRow[col(k)]) - expected) < 1e-9, `${method} ${k}: ${meanRow[col(k)]} vs ${expected}`);
        }
        const aucs = own.map((row) => Number(row[col('deletion_auc')]));
        assert.ok(aucs.every((a) => a >= 0 && a <= 1), `deletion AUCs are probabilities: ${aucs}`);
      }
      // Mask statistics only for mask-like methods; the pointing game only with boxes.
      const peakRow = rows.find((row) => row[col('method')] === 'test-peak')!;
      const nmRow = rows.find((row) => row[col('method')] === 'neuromask')!;
      assert.equal(peakRow[col('mask_area')], '');
      assert.ok(Number(nmRow[col('mask_area')]) > 0 && Number(nmRow[col('masked_probability')]) > 0);
      assert.equal(nmRow[col('pointing_hit')], '');
      assert.equal(Number(nmRow[col('forward_passes')]) > 0, true);
      const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
      assert.equal(json.pairs.length, 4);
      assert.deepEqual([json.pairs[0].stability, json.pairs[0].sanityTop, json.pairs[0].sanityAll], [null, null, null], 'null when off');
      assert.deepEqual(json.summary.map((s: { method: string }) => s.method), ['test-peak', 'neuromask']);
    } finally {
      await engine.release();
    }
  });
});

describe('evaluate and compare commands', () => {
  it('evaluate counts pointing-game hits and misses and prints the table', async () => {
    const dir = tmp();
    const model = writeTinyModel(dir);
    await writeImages(dir, 3);
    // The map peaks at (2, 2): inside the first box, 1 px outside the second, far from the third.
    const manifest = { images: [
      { file: '0.png', target: 1, boxes: [[0, 0, 4, 4]] },
      { file: '1.png', target: 1, boxes: [[3, 3, 8, 8]] },
      { file: '2.png', target: 'two', boxes: [[10, 10, 15, 15], [12, 0, 15, 3]] },
    ] };
    writeFileSync(join(dir, 'm.json'), JSON.stringify(manifest));
    const out = join(dir, 'out');
    const stdout = await cli(registerEvaluate, ['evaluate', join(dir, 'm.json'), '--model', model, '--methods', 'test-peak', '--out', out, '--tolerance', '0', '--threads', '1']);
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(r.pairs.map((p: { pointingHit: boolean }) => p.pointingHit), [true, false, false]);
    assert.deepEqual(r.summary[0].pointing, { hits: 1, misses: 2, accuracy: 1 / 3 });
    assert.equal(r.pairs[2].target.index, 2, 'a label target is resolved through the model card');
    assert.match(stdout, /^method\s+pairs\s+pointing game\s+deletion AUC/m);
    assert.match(stdout, /^test-peak\s+3\s+0\.333 \(1\/3\)/m);
    // With a tolerance of 2 px the near miss becomes a hit (it is 1 px away).
    await cli(registerEvaluate, ['evaluate', join(dir, 'm.json'), '--model', model, '--methods', 'test-peak', '--out', out, '--tolerance', '2', '--threads', '1']);
    const r2 = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(r2.summary[0].pointing, { hits: 2, misses: 1, accuracy: 2 / 3 });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.indexOf('Pointing game') < html.indexOf('Means per method'), 'pointing table first');
  });

  it('compare writes report.html, results.json and results.csv for images given on the command line', async () => {
    const dir = tmp();
    const model = writeTinyModel(dir);
    const paths = await writeImages(dir, 2);
    const out = join(dir, 'cmp');
    rmSync(out, { recursive: true, force: true });
    const stdout = await cli(registerCompare, ['compare', ...paths, '--model', model, '--methods', 'test-peak,neuromask', '--options', '{"neuromask":{"iterations":2}}', '--target', 'one', '--out', out, '--threads', '1']);
    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(r.pairs.map((p: { target: { index: number } }) => p.target.index), [1, 1, 1, 1]);
    assert.ok(existsSync(join(out, 'results.csv')) && existsSync(join(out, 'report.html')));
    assert.doesNotMatch(stdout, /pointing/, 'no boxes, no pointing game');
    assert.match(stdout, /^neuromask\s+2\s/m);
    await assert.rejects(cli(registerCompare, ['compare', paths[0]!, '--model', model, '--methods', 'test-peak', '--options', '[1]', '--out', out]), /--options: expected an object/);
    assert.doesNotMatch(readFileSync(join(out, 'results.csv'), 'utf8').split('\n')[0]!, /stability|sanity/);
    await assert.rejects(cli(registerCompare, ['compare', paths[0]!, '--model', model, '--methods', 'test-peak', '--stability', '1', '--out', out]), /--stability: expected 0 \(off\) or a number of seeds ≥ 2, got '1'/);
  });

  it('compare and evaluate take --stability and --sanity, and report them', async () => {
    const dir = tmp();
    const model = writeTinyModel(dir);
    const paths = await writeImages(dir, 2);
    const out = join(dir, 'cmp');
    const stdout = await cli(registerCompare, ['compare', ...paths, '--model', model, '--methods', 'test-peak,test-seeded', '--stability', '2', '--sanity', '--out', out, '--threads', '1']);
    assert.match(stdout, /stability ρ ↑\s+sanity ρ top ↓\s+sanity ρ all ↓/);
    assert.match(stdout, /^test-peak\s+2\s.*\s1\.000\s+1\.000\s+1\.000\s/m);
    const [head = [], ...rows] = parseCsv(readFileSync(join(out, 'results.csv'), 'utf8'));
    assert.deepEqual(head.slice(-3), ['stability', 'sanity_top', 'sanity_all']);
    const seeded = rows.find((r) => r[head.indexOf('method')] === 'test-seeded')!;
    assert.ok(Number(seeded[head.indexOf('stability')]) < 1);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<th>stability ρ ↑<\/th>/);
    writeFileSync(join(dir, 'm.json'), JSON.stringify({ images: [{ file: '0.png', target: 1, boxes: [[0, 0, 4, 4]] }] }));
    await cli(registerEvaluate, ['evaluate', join(dir, 'm.json'), '--model', model, '--methods', 'test-peak', '--sanity', '--out', join(dir, 'ev'), '--threads', '1']);
    const r = JSON.parse(readFileSync(join(dir, 'ev', 'results.json'), 'utf8'));
    assert.deepEqual([r.sanity, r.stability, r.pairs[0].sanityAll, r.pairs[0].stability], [true, 0, 1, null]);
  });
});
