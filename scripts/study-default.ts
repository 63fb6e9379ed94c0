/**
 * Choosing NeuroMask's DEFAULT preset by measurement.
 *
 * On the ImageNet MobileNetV2 and the photos of /work/shared/images (plus dog.jpg with the
 * non-predicted target 444, "bicycle-built-for-two"), run a list of configurations and measure, per
 * configuration (means over images): pointing game (argmax of the 3×3-box-blurred mask inside a
 * hand-annotated box of the target object, docs/study/boxes.json, 224×224 centre-crop
 * coordinates), energy-based pointing (fraction of mask mass inside the box), mask area (mean of
 * the mask), masked target probability, passes (iterations and model forward passes) and seconds.
 *
 * Usage (from the repository root):
 *   npx tsx scripts/study-default.ts crops                 # write the 224×224 crops to look at
 *   npx tsx scripts/study-default.ts run NAME [NAME ...]    # run configurations (cached per row)
 *   npx tsx scripts/study-default.ts run all                # every run not cached yet
 *   npx tsx scripts/study-default.ts report [BEST ...]      # table, results.md, panel.png
 *   npx tsx scripts/study-default.ts export-raw DIR         # decoded crops, for STUDY_RAW=DIR runs
 *   npx tsx scripts/study-default.ts list                   # configuration names
 *
 * Runs are cached as JSON (masks included) under $STUDY_CACHE (default /tmp/neuromask-study), so
 * the expensive reference@2000 can run once, in the background, while the others run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { Engine } from '../src/runtime/engine.js';
import { neuromask, type NeuroMaskItem } from '../src/methods/neuromask/neuromask.js';
import type { NeuroMaskOptionsInput } from '../src/methods/neuromask/options.js';
import { makeBaseline } from '../src/image/baseline.js';
import { toProbabilities } from '../src/util/softmax.js';
import { overlayPng, panelPng, type PanelTile } from '../src/viz/render.js';

process.env.NEUROMASK_HOME ??= '/work/shared/models';

const IMAGE_DIR = '/work/shared/images';
const OUT_DIR = 'docs/study';
const CACHE = process.env.STUDY_CACHE ?? '/tmp/neuromask-study';
const BOXES = join(OUT_DIR, 'boxes.json');
const SIZE = 224;

/** The study set: each photo with the model's prediction, and dog.jpg with a second object. */
const ITEMS: { key: string; file: string; target?: number }[] = [
  { key: 'dog', file: 'dog.jpg' },
  { key: 'eagle', file: 'eagle.jpg' },
  { key: 'squirrel_cls', file: 'squirrel_cls.jpg' },
  { key: 'orange', file: 'orange.jpg' },
  { key: 'baboon', file: 'baboon.jpg' },
  { key: 'butterfly', file: 'butterfly.jpg' },
  { key: 'chelsea', file: 'chelsea.png' },
  { key: 'coffee', file: 'coffee.png' },
  { key: 'motorcycle_left', file: 'motorcycle_left.png' },
  { key: 'dog@444', file: 'dog.jpg', target: 444 },
];

/** The first DEFAULT candidate (area 2, no smoothness), pinned so these rows stay comparable as DEFAULT changes. */
const CUR = { preset: 'default', area: 2, smoothness: 0 } as const;
/** The second round's choice (the DEFAULT of issue 3: 100 steps of Adam 0.1 from logits 3), pinned. */
const SMOOTH1 = { preset: 'default', area: 4, smoothnessKind: 'gradient', smoothness: 1, deletion: 1, initValue: 3, learningRate: 0.1 } as const;

/**
 * Runs: options (with the longest iteration count) and the iteration counts to report. Adam with a
 * constant learning rate (and the reference's RMSProp) does not depend on the planned number of
 * steps, so the mask after k steps of a longer run is exactly the mask of a k-step run: one run
 * gives several rows (snapshot masks from the history; their masked probability is recomputed
 * with one forward pass, their time pro rata).
 */
const RUNS: Record<string, { options: NeuroMaskOptionsInput; at: number[] }> = {
  // A few steps, to check the pipeline end to end.
  'smoke': { options: { ...CUR, iterations: 4 }, at: [2, 4] },
  'reference': { options: { preset: 'reference', iterations: 1000 }, at: [400, 1000] },
  'reference-long': { options: { preset: 'reference', iterations: 2000 }, at: [400, 1000, 2000] },
  // The current DEFAULT: 28×28 grid (scale 8), constant init 3, Adam 0.1, area 2, deletion 1, blur.
  'default': { options: { ...CUR, iterations: 200 }, at: [100, 150, 200] },
  'nodel': { options: { ...CUR, deletion: 0, iterations: 200 }, at: [100, 150, 200] },
  'area4': { options: { ...CUR, area: 4, iterations: 200 }, at: [100, 150, 200] },
  'area1': { options: { ...CUR, area: 1, iterations: 200 }, at: [100, 150, 200] },
  'area0.5': { options: { ...CUR, area: 0.5, iterations: 200 }, at: [100, 150, 200] },
  'black': { options: { ...CUR, baseline: 'black', iterations: 200 }, at: [100, 150, 200] },
  'scale16': { options: { ...CUR, maskScale: 16, iterations: 200 }, at: [100, 150, 200] },
  'scale4': { options: { ...CUR, maskScale: 4, iterations: 200 }, at: [100, 150, 200] },
  'nodel-area4': { options: { ...CUR, deletion: 0, area: 4, iterations: 200 }, at: [100, 150, 200] },
  'nodel-area1': { options: { ...CUR, deletion: 0, area: 1, iterations: 200 }, at: [100, 150, 200] },
  'nodel-area0.5': { options: { ...CUR, deletion: 0, area: 0.5, iterations: 200 }, at: [100, 150, 200] },
  'nodel-black': { options: { ...CUR, deletion: 0, baseline: 'black', iterations: 200 }, at: [100, 150, 200] },
  'nodel-scale16': { options: { ...CUR, deletion: 0, maskScale: 16, iterations: 200 }, at: [100, 150, 200] },
  'area4-scale16': { options: { ...CUR, area: 4, maskScale: 16, iterations: 200 }, at: [100, 150, 200] },
  'area4-black': { options: { ...CUR, area: 4, baseline: 'black', iterations: 200 }, at: [100, 150, 200] },
  'area1-scale16': { options: { ...CUR, area: 1, maskScale: 16, iterations: 200 }, at: [100, 150, 200] },
  'scale16-black': { options: { ...CUR, maskScale: 16, baseline: 'black', iterations: 200 }, at: [100, 150, 200] },
  'mean': { options: { ...CUR, baseline: 'mean', iterations: 200 }, at: [100, 150, 200] },
  'init0': { options: { ...CUR, initValue: 0, iterations: 200 }, at: [100, 150, 200] },
  'del2': { options: { ...CUR, deletion: 2, iterations: 200 }, at: [100, 150, 200] },
  // Second round: smoothness as mean squared neighbour differences of the logits (borders included).
  'smooth1': { options: { ...CUR, area: 4, smoothnessKind: 'gradient', smoothness: 1, iterations: 200 }, at: [100, 150, 200] },
  'smooth1-nodel': { options: { ...CUR, area: 4, smoothnessKind: 'gradient', smoothness: 1, deletion: 0, iterations: 200 }, at: [100, 150, 200] },
  'smooth3': { options: { ...CUR, area: 4, smoothnessKind: 'gradient', smoothness: 3, iterations: 200 }, at: [100, 150, 200] },
  // Third round (issue 12, speed): the second round's choice, pinned, with a better start or larger steps.
  'smooth1-init0': { options: { ...SMOOTH1, initValue: 0, learningRate: 0.2, iterations: 40 }, at: [20, 30, 40] },
  'smooth1-init0-lr25': { options: { ...SMOOTH1, initValue: 0, learningRate: 0.25, iterations: 24 }, at: [24] },
  'smooth1-init0-lr27': { options: { ...SMOOTH1, initValue: 0, learningRate: 0.27, iterations: 30 }, at: [30] },
  'smooth1-init0-lr33': { options: { ...SMOOTH1, initValue: 0, learningRate: 0.33, iterations: 30 }, at: [30] },
  'smooth1-lr33': { options: { ...SMOOTH1, learningRate: 0.33, iterations: 30 }, at: [30] },
  'smooth1-c2f': { options: { ...SMOOTH1, learningRate: 0.2, stages: [4, 2, 1], iterations: 30 }, at: [30] },
  'smooth1-init0-cosine': { options: { ...SMOOTH1, initValue: 0, learningRate: 0.25, schedule: 'cosine', iterations: 30 }, at: [30] },
};

/** Row name of a run's snapshot. */
const rowName = (run: string, at: number): string => `${run}@${at}`;
const ROW_ORDER = (): string[] => Object.entries(RUNS).filter(([n]) => n !== 'smoke').flatMap(([n, r]) => r.at.map((a) => rowName(n, a)));

type Box = [x0: number, y0: number, x1: number, y1: number];
interface Boxes {
  note: string;
  boxes: Record<string, { label: string; box: Box }>;
}

interface ItemResult {
  key: string;
  target: number;
  label?: string | undefined;
  original: number;
  masked: number;
  area: number;
  iterations: number;
  forwardPasses: number;
  backwardPasses: number;
  seconds: number;
  /** The mask, quantised to 16 bits, base64. */
  mask: string;
}
interface RunResult {
  name: string;
  options: NeuroMaskOptionsInput;
  config: unknown;
  wallSeconds: number;
  items: ItemResult[];
}

async function setup(): Promise<{ c: Classifier; engine: Engine; images: Map<string, ImageInput> }> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  const engine = new Engine(c, { ep: 'cpu', threads: Number(process.env.STUDY_THREADS ?? 2) });
  const images = new Map<string, ImageInput>();
  for (const it of ITEMS) if (!images.has(it.file)) images.set(it.file, await studyImage(it.file, c));
  return { c, engine, images };
}

/**
 * The 224×224 crop of a study photo. With STUDY_RAW=DIR, from the RGB bytes `export-raw` wrote
 * (decoded here, once, with sharp), so the runs can go to a machine without sharp.
 */
async function studyImage(file: string, c: Classifier): Promise<ImageInput> {
  const raw = process.env.STUDY_RAW;
  if (!raw) return loadImage(join(IMAGE_DIR, file), c.spec);
  const [h, w] = c.spec.inputSize;
  const display = new Uint8Array(readFileSync(join(raw, `${file}.rgb`)));
  if (display.length !== h * w * 3 || c.spec.channels === 'grey') throw new Error(`bad raw image ${file}`);
  const order = c.spec.channels === 'bgr' ? [2, 1, 0] : [0, 1, 2];
  const pixels = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) for (let ch = 0; ch < 3; ch++) pixels[ch * h * w + i] = display[i * 3 + order[ch]!]! / 255;
  return { source: join(IMAGE_DIR, file), height: h, width: w, channels: 3, pixels, display };
}

async function exportRaw(dir: string): Promise<void> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  mkdirSync(dir, { recursive: true });
  for (const it of ITEMS) {
    const img = await loadImage(join(IMAGE_DIR, it.file), c.spec);
    writeFileSync(join(dir, `${it.file}.rgb`), img.display);
  }
}

function encodeMask(m: Float32Array): string {
  const q = new Uint16Array(m.length);
  for (let i = 0; i < m.length; i++) q[i] = Math.round(Math.min(1, Math.max(0, m[i]!)) * 65535);
  return Buffer.from(q.buffer).toString('base64');
}
function decodeMask(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const q = new Uint16Array(b.buffer, b.byteOffset, b.length / 2);
  return Float32Array.from(q, (v) => v / 65535);
}

const cachePath = (name: string): string => join(CACHE, `${name.replace(/[^\w.@-]/g, '_')}.json`);

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

async function runConfigs(names: string[]): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const { c, engine, images } = await setup();
  const [H, W] = c.spec.inputSize;
  const K = c.numClasses;
  const items: NeuroMaskItem[] = ITEMS.map((it) => ({ image: images.get(it.file)!, ...(it.target !== undefined ? { target: it.target } : {}) }));
  for (const name of names) {
    const run = RUNS[name];
    if (!run) throw new Error(`unknown run ${name}; see 'list'`);
    if (run.at.every((a) => existsSync(cachePath(rowName(name, a)))) && !process.env.STUDY_FORCE) { console.log(`${name}: cached`); continue; }
    const every = run.at.reduce(gcd);
    const t0 = performance.now();
    let last = 0;
    const ex = await neuromask(engine, items, { ...run.options, batchSize: ITEMS.length, historyEvery: every }, {
      onProgress: (p) => {
        if (p.item === 0 && performance.now() - last > 30000) {
          last = performance.now();
          console.log(`  ${name} it ${p.iteration}/${p.iterations} loss ${p.total.toFixed(3)} p ${p.targetProbability.toFixed(3)}`);
        }
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const cfg = ex[0]!.config;
    const deletion = cfg.weights.deletion !== 0;
    for (const at of run.at) {
      const masks = ex.map((e) => e.history.find((h) => h.iteration === at)!.mask);
      // Masked probability of the snapshot: one forward pass of image·m + baseline·(1−m).
      const x = new Float32Array(ITEMS.length * 3 * H * W);
      ex.forEach((e, k) => {
        const px = items[k]!.image.pixels;
        const base = makeBaseline(cfg.baseline, px, 3, H, W, cfg.blurSigma);
        const m = masks[k]!;
        for (let ch = 0; ch < 3; ch++)
          for (let i = 0; i < H * W; i++) x[k * 3 * H * W + ch * H * W + i] = px[ch * H * W + i]! * m[i]! + base[ch * H * W + i]! * (1 - m[i]!);
      });
      const logits = await engine.forward(x, ITEMS.length);
      const masked = ex.map((e, k) => toProbabilities(logits.subarray(k * K, (k + 1) * K), c.outputKind)[e.target.index]!);
      if (at === cfg.iterations) {
        const drift = Math.max(...ex.map((e, k) => Math.abs(e.probabilities.masked - masked[k]!)));
        if (drift > 1e-3) console.warn(`  ${name}: recomputed masked probability differs from the run's by ${drift.toExponential(2)}`);
      }
      const result: RunResult = {
        name: rowName(name, at),
        options: { ...run.options, iterations: at },
        config: { ...cfg, iterations: at },
        wallSeconds: wall * at / cfg.iterations,
        items: ex.map((e, k) => ({
          key: ITEMS[k]!.key,
          target: e.target.index,
          label: e.target.label,
          original: e.probabilities.original,
          masked: masked[k]!,
          area: masks[k]!.reduce((a, v) => a + v, 0) / masks[k]!.length,
          iterations: at,
          forwardPasses: (at + 1) * (deletion ? 2 : 1) + 1,
          backwardPasses: at,
          // Per image: preparation plus the optimisation's share up to this snapshot.
          seconds: (e.timings.prepareMs + (e.timings.msPerStep * (at + 1)) / ITEMS.length) / 1000,
          mask: encodeMask(masks[k]!),
        })),
      };
      writeFileSync(cachePath(result.name), JSON.stringify(result));
    }
    console.log(`${name}: ${wall.toFixed(1)} s for ${ITEMS.length} images, ${cfg.iterations} iterations`);
  }
  await engine.release();
}

/** 3×3 box blur with edge replication. */
function boxBlur3(m: Float32Array, h: number, w: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) s += m[Math.min(h - 1, Math.max(0, y + dy)) * w + Math.min(w - 1, Math.max(0, x + dx))]!;
      out[y * w + x] = s / 9;
    }
  return out;
}

const inBox = (b: Box, x: number, y: number): boolean => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

/** Pointing hit (argmax of the blurred mask in the box; ties: all maxima must be inside) and energy in the box. */
function pointing(mask: Float32Array, box: Box): { hit: number; energy: number } {
  const bl = boxBlur3(mask, SIZE, SIZE);
  let max = -Infinity;
  for (const v of bl) if (v > max) max = v;
  let hits = 0;
  let n = 0;
  let inside = 0;
  let total = 0;
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const v = mask[y * SIZE + x]!;
      total += v;
      if (inBox(box, x, y)) inside += v;
      if (bl[y * SIZE + x]! >= max - 1e-6) { n++; if (inBox(box, x, y)) hits++; }
    }
  return { hit: hits / n, energy: total > 0 ? inside / total : 0 };
}

interface Row {
  name: string;
  pointing: number;
  energy: number;
  area: number;
  masked: number;
  keptHalf: number;
  iterations: number;
  forwardPasses: number;
  seconds: number;
  perItem: { key: string; hit: number; energy: number; area: number; masked: number }[];
}

function summarise(r: RunResult, boxes: Boxes): Row {
  const perItem = r.items.map((it) => {
    const b = boxes.boxes[it.key];
    if (!b) throw new Error(`no box for ${it.key} in ${BOXES}`);
    const p = pointing(decodeMask(it.mask), b.box);
    return { key: it.key, hit: p.hit, energy: p.energy, area: it.area, masked: it.masked };
  });
  const mean = (f: (x: (typeof perItem)[number]) => number): number => perItem.reduce((a, x) => a + f(x), 0) / perItem.length;
  return {
    name: r.name,
    pointing: mean((x) => x.hit),
    energy: mean((x) => x.energy),
    area: mean((x) => x.area),
    masked: mean((x) => x.masked),
    keptHalf: mean((x) => (x.masked >= 0.5 ? 1 : 0)),
    iterations: r.items[0]!.iterations,
    forwardPasses: r.items[0]!.forwardPasses,
    seconds: r.items.reduce((a, x) => a + x.seconds, 0) / r.items.length,
    perItem,
  };
}

function table(rows: Row[]): string {
  const head = '| configuration | pointing | energy in box | area | masked p | p ≥ 0.5 | iterations | forward passes | s / image |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const lines = rows.map((r) =>
    `| ${r.name} | ${r.pointing.toFixed(2)} | ${r.energy.toFixed(2)} | ${r.area.toFixed(3)} | ${r.masked.toFixed(3)} | ${r.keptHalf.toFixed(1)} | ${r.iterations} | ${r.forwardPasses} | ${r.seconds.toFixed(1)} |`,
  );
  return [head, ...lines].join('\n');
}

function perItemTable(rows: Row[]): string {
  const keys = ITEMS.map((i) => i.key);
  const head = `| configuration | ${keys.join(' | ')} |\n| --- |${keys.map(() => ' --- |').join('')}`;
  const lines = rows.map((r) => `| ${r.name} | ${r.perItem.map((x) => `${x.hit >= 0.5 ? '✓' : '✗'} ${x.energy.toFixed(2)} / ${x.area.toFixed(2)} / ${x.masked.toFixed(2)}`).join(' | ')} |`);
  return [head, ...lines].join('\n');
}

function loadRun(name: string): RunResult | undefined {
  return existsSync(cachePath(name)) ? (JSON.parse(readFileSync(cachePath(name), 'utf8')) as RunResult) : undefined;
}

async function report(best: string[]): Promise<void> {
  const boxes = JSON.parse(readFileSync(BOXES, 'utf8')) as Boxes;
  const runs = ROW_ORDER().map(loadRun).filter((r): r is RunResult => r !== undefined);
  const rows = runs.map((r) => summarise(r, boxes));
  const t = table(rows);
  console.log(t);
  console.log();
  console.log(perItemTable(rows));
  const md = [
    '# Choosing the NeuroMask DEFAULT preset',
    '',
    'Generated by `npx tsx scripts/study-default.ts report`. Model: ImageNet MobileNetV2 (int8, dequantised),',
    `ONNX Runtime CPU, 2 threads per run, all ${ITEMS.length} items of a configuration in one batch${process.env.STUDY_MACHINE ? ` (timings: ${process.env.STUDY_MACHINE})` : ''}. Items: ${ITEMS.map((i) => i.key).join(', ')}`,
    '(targets: the model\'s prediction; `dog@444` asks for class 444, bicycle-built-for-two, in the same photo).',
    '',
    'Columns (means over items): **pointing** — the maximum of the mask after a 3×3 box blur lies in the',
    'hand-annotated box of the target (`boxes.json`, 224×224 centre-crop coordinates; ties count fractionally);',
    '**energy in box** — fraction of the mask\'s mass inside the box; **area** — mean of the mask;',
    '**masked p** — target probability on the image masked with the final mask over the configuration\'s own',
    'baseline (black for the reference); **p ≥ 0.5** — fraction of items whose masked probability stays ≥ 0.5;',
    '**iterations** — optimisation steps (one forward+backward each); **forward passes** — model',
    'evaluations per image (the deletion term evaluates the complement too, so it doubles them);',
    '**s / image** — wall time of the batch divided by the number of items.',
    '',
    t,
    '',
    'Rows `NAME@k` of one run are its mask after k steps (a k-step run gives the same mask); see `findings.md` for the reading and the recommendation.',
    '',
    '## Per item',
    '',
    'Each cell: pointing hit, energy in box / area / masked p.',
    '',
    perItemTable(rows),
    '',
  ].join('\n');
  writeFileSync(join(OUT_DIR, 'results.md'), md);

  const cols = ['reference@2000', 'reference@400', ...best].filter((n, i, a) => a.indexOf(n) === i);
  const colRuns = cols.map((n) => loadRun(n) ?? (n === 'reference@2000' ? loadRun('reference@1000') : undefined)).filter((r): r is RunResult => r !== undefined);
  if (colRuns.length === 0) return;
  const rowKeys = (process.env.STUDY_PANEL_ROWS ?? 'dog,dog@444,eagle,baboon,coffee,motorcycle_left').split(',');
  const c = await loadClassifier('mobilenetv2-imagenet');
  const tiles: PanelTile[] = [];
  for (const key of rowKeys) {
    const spec = ITEMS.find((i) => i.key === key)!;
    const img = await loadImage(join(IMAGE_DIR, spec.file), c.spec);
    tiles.push({ png: await sharp(img.display, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toBuffer(), title: key });
    for (const r of colRuns) {
      const it = r.items.find((x) => x.key === key)!;
      const png = await overlayPng(img.display, SIZE, SIZE, decodeMask(it.mask), { colormap: 'jet', alpha: 0.6 });
      tiles.push({ png, title: `${r.name} p=${it.masked.toFixed(2)} a=${it.area.toFixed(2)}` });
    }
  }
  let panel = await panelPng(tiles, { columns: colRuns.length + 1, titleHeight: 18 });
  if (panel.length > 1.5e6) panel = await sharp(panel).png({ palette: true, quality: 90 }).toBuffer();
  writeFileSync(join(OUT_DIR, 'panel.png'), panel);
  console.log(`wrote ${join(OUT_DIR, 'results.md')}, ${join(OUT_DIR, 'panel.png')} (${(panel.length / 1e6).toFixed(2)} MB)`);
}

async function crops(): Promise<void> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  const dir = join(CACHE, 'crops');
  mkdirSync(dir, { recursive: true });
  for (const it of ITEMS) {
    if (it.target !== undefined) continue;
    const img = await loadImage(join(IMAGE_DIR, it.file), c.spec);
    // A 16-pixel grid, so box coordinates can be read off the picture (shown at 2×).
    const d = Uint8Array.from(img.display);
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        if (x % 16 === 0 || y % 16 === 0) { const o = (y * SIZE + x) * 3; d[o] = 255; d[o + 1] = 0; d[o + 2] = 255; }
    await sharp(d, { raw: { width: SIZE, height: SIZE, channels: 3 } }).resize(448, 448, { kernel: 'nearest' }).png().toFile(join(dir, `${it.key}.png`));
  }
  console.log(`crops in ${dir} (grid every 16 px)`);
}

const [cmd = 'list', ...args] = process.argv.slice(2);
if (cmd === 'list') console.log(Object.entries(RUNS).map(([n, r]) => `${n}: ${JSON.stringify(r.options)} at ${r.at.join(', ')}`).join('\n'));
else if (cmd === 'crops') await crops();
else if (cmd === 'export-raw') await exportRaw(args[0] ?? join(CACHE, 'raw'));
else if (cmd === 'run') await runConfigs(args.includes('all') ? Object.keys(RUNS) : args);
else if (cmd === 'report') await report(args);
else throw new Error(`unknown command ${cmd}`);
