import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '../src/image/load.js';
import { neuromask, type NeuroMaskItem } from '../src/methods/neuromask/neuromask.js';
import type { NeuroMaskOptionsInput } from '../src/methods/neuromask/options.js';
import { DEFAULT } from '../src/methods/neuromask/presets.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { torchScript } from './python.js';
import { num, ratio, table } from './table.js';

export interface ExplainOptions {
  torch: boolean;
  /** Iterations actually run for the reference preset (2000 = the preset; fewer are extrapolated). */
  referenceIterations: number;
  /** Iterations PyTorch runs of the default loop (extrapolated to the preset's). */
  torchDefaultIterations: number;
  folderSize: number;
}

const IMAGES = fileURLToPath(new URL('../../shared/images', import.meta.url));
const THREADS = 2;
const CACHE = fileURLToPath(new URL('./.cache/', import.meta.url));

interface Timed {
  /** Graph build, session creation and the unmasked forward pass (once per explanation batch). */
  setup: number;
  loop: number;
}

/** One explanation on a fresh engine, so the step graph's build and session creation are counted. */
async function explainOnce(c: Classifier, item: NeuroMaskItem, opts: NeuroMaskOptionsInput): Promise<Timed> {
  const engine = new Engine(c, { ep: 'cpu', threads: THREADS });
  try {
    const t0 = performance.now();
    const [e] = await neuromask(engine, [item], { ...opts, batchSize: 1 });
    const total = (performance.now() - t0) / 1000;
    return { setup: total - e!.timings.optimiseMs / 1000, loop: e!.timings.optimiseMs / 1000 };
  } finally {
    await engine.release();
  }
}

async function folder(c: Classifier, n: number, batchSize: number): Promise<number> {
  const files = (await readdir(IMAGES)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
  const engine = new Engine(c, { ep: 'cpu', threads: THREADS });
  try {
    const t0 = performance.now();
    const items = await Promise.all(Array.from({ length: n }, (_, i) => loadImage(join(IMAGES, files[i % files.length]!), c.spec)));
    await neuromask(engine, items.map((image) => ({ image })), { preset: 'default', batchSize });
    return (performance.now() - t0) / 1000;
  } finally {
    await engine.release();
  }
}

async function torchLoop(preset: string, iterations: number, pixels: string): Promise<number> {
  const [r] = await torchScript<{ seconds: number }>('explain.py', [preset, iterations, THREADS, pixels]);
  return r!.seconds;
}

export async function explainBench(o: ExplainOptions): Promise<string> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  const image = await loadImage(join(IMAGES, 'dog.jpg'), c.spec);
  // PyTorch gets the very same pixels (our decode and resize), through a raw float32 file.
  await mkdir(CACHE, { recursive: true });
  const pixels = join(CACHE, 'dog-224.f32');
  await writeFile(pixels, new Uint8Array(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength));

  const refScale = 2000 / o.referenceIterations;
  const ref = await explainOnce(c, { image }, { preset: 'reference', iterations: o.referenceIterations });
  const refOurs = ref.setup + ref.loop * refScale;
  const refTorch = o.torch ? (await torchLoop('reference', o.referenceIterations, pixels)) * refScale : undefined;
  const def = await explainOnce(c, { image }, { preset: 'default' });
  const defTorch = o.torch ? ((await torchLoop('default', o.torchDefaultIterations, pixels)) * DEFAULT.iterations) / o.torchDefaultIterations : undefined;

  const tag = (scale: number): string => (scale === 1 ? '' : ` — **extrapolated** ×${scale.toFixed(0)} from ${2000 / scale} iterations`);
  const parts = [
    `## Explain: one NeuroMask explanation of dog.jpg (MobileNetV2, 224×224, ${THREADS} threads)`,
    'Ours: wall time on a fresh engine (setup = step-graph build, session creation, unmasked forward; loop = the iterations). PyTorch: the loop only, on a random-weight MobileNetV2 of the same architecture. Ratio = torch / ours total.',
    table(
      ['preset', 'ours setup s', 'ours loop s', 'ours total s', 'torch s', 'torch/ours'],
      [
        [`reference (2000 it.)${tag(refScale)}`, num(ref.setup, 2), num(ref.loop * refScale, 2), num(refOurs, 2), num(refTorch, 2), ratio(refTorch, refOurs)],
        [`default (${DEFAULT.iterations} it.)${o.torchDefaultIterations === DEFAULT.iterations ? '' : ` — torch **extrapolated** from ${o.torchDefaultIterations} it.`}`, num(def.setup, 2), num(def.loop, 2), num(def.setup + def.loop, 2), num(defTorch, 2), ratio(defTorch, def.setup + def.loop)],
      ],
    ),
  ];
  if (!o.torch) parts.push('- PyTorch column empty: /usr/bin/python3 has no torch.');
  parts.push('- PyTorch default loop: same terms (CE + 4·area + smoothness + complement probability, 28×28 logits, blur baseline, Adam), the two images in one batch.');

  const s1 = await folder(c, o.folderSize, 1);
  const s8 = await folder(c, o.folderSize, 8);
  const perMin = (s: number): number => (o.folderSize * 60) / s;
  parts.push(
    '',
    `### Folder: ${o.folderSize} photos (the 9 in ${IMAGES}, cycled), default preset, end to end (decode, sessions, loops)`,
    table(
      ['batchSize', 'seconds', 's / photo', 'explanations / min', 'vs batchSize 1'],
      [
        [1, num(s1, 1), num(s1 / o.folderSize, 2), num(perMin(s1), 1), '1.00×'],
        [8, num(s8, 1), num(s8 / o.folderSize, 2), num(perMin(s8), 1), ratio(s1, s8)],
      ],
    ),
    '',
    `Targets (not asserted): default explain ≤ 5 s per photo — measured ${num(def.setup + def.loop, 2)} s (one photo), ${num(Math.min(s1, s8) / o.folderSize, 2)} s/photo in a folder; reference ≥ 4× faster than PyTorch — measured ${ratio(refTorch, refOurs)}.`,
  );
  return parts.join('\n');
}
