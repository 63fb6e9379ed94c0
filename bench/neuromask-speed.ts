/**
 * The default preset's speed: ms per step, seconds per explanation cold and warm (graph cache
 * empty / filled), the start-up stages, and a folder of photos; each beside the previous default
 * (100 steps from the whole image) measured in the same process, interleaved.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeBaseline } from '../src/image/baseline.js';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import type { NeuroMaskOptionsInput } from '../src/methods/neuromask/options.js';
import { DEFAULT } from '../src/methods/neuromask/presets.js';
import { buildStepGraph, STEP } from '../src/methods/neuromask/step-graph.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { prepareGraph } from '../src/onnx/rewrites/index.js';
import { writeModel } from '../src/onnx/write.js';
import { Engine } from '../src/runtime/engine.js';
import { GraphCache } from '../src/runtime/graph-cache.js';
import { createSession } from '../src/runtime/session.js';
import { num, ratio, table } from './table.js';

const IMAGES = fileURLToPath(new URL('../../shared/images', import.meta.url));
const CLI = fileURLToPath(new URL('../bin/neuromask.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const THREADS = 2;

/** The default before issue 12: 100 steps of Adam 0.1 from the whole image (logits 3). */
export const PREVIOUS_DEFAULT: NeuroMaskOptionsInput = { preset: 'default', iterations: 100, learningRate: 0.1, initValue: 3 };
const NEW_DEFAULT: NeuroMaskOptionsInput = { preset: 'default' };

export interface SpeedOptions {
  repeats: number;
  folderSize: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

interface Run {
  optimise: number;
  msPerStep: number;
  total: number;
  cpu: number;
  steps: number;
}

async function once(engine: Engine, image: ImageInput, opts: NeuroMaskOptionsInput): Promise<Run> {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const [e] = await neuromask(engine, [{ image }], { ...opts, batchSize: 1 });
  return { optimise: e!.timings.optimiseMs / 1000, msPerStep: e!.timings.msPerStep, total: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0, steps: e!.iterations };
}

/** Start-up of one explanation, stage by stage, as a cold process does it (no graph cache). */
async function stages(c: Classifier, cacheDir: string): Promise<(string | number)[][]> {
  const rows: [string, number][] = [];
  const time = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const v = await f();
    rows.push([name, performance.now() - t0]);
    return v;
  };
  await time('load model (read + parse ONNX)', () => loadClassifier('mobilenetv2-imagenet'));
  const image = await time('decode + resize the photo', () => loadImage(join(IMAGES, 'dog.jpg'), c.spec));
  await time('blurred baseline (σ 10, host)', () => makeBaseline('blur', image.pixels, 3, 224, 224, DEFAULT.blurSigma));
  const model = await time('rewrites: dequantize, fold, batch 2', () => prepareGraph(c.graph, { batch: 2 }));
  const graph = await time('step graph + gradient (autodiff)', () =>
    buildStepGraph({ model, inputName: c.inputName, outputName: c.outputName, outputKind: c.outputKind, spec: c.spec, batch: 1, numClasses: c.numClasses, paramShape: [28, 28], temperature: DEFAULT.temperature, weightLimit: DEFAULT.weightLimit, laplacianSize: DEFAULT.laplacianSize, smoothness: DEFAULT.smoothness, weights: DEFAULT.weights }),
  );
  const bytes = await time('serialise (protobuf)', () => writeModel(graph));
  const cache = new GraphCache(cacheDir);
  const tmp = await cache.tempPath();
  const s = await time('ORT session: optimise the graph (and save it)', () => createSession(bytes, { ep: 'cpu', threads: THREADS }, { saveOptimized: tmp }));
  await cache.commit('bench', tmp);
  const feeds = {
    [STEP.w]: { data: new Float32Array(28 * 28), dims: [1, 1, 28, 28] },
    [STEP.image]: { data: image.pixels, dims: [1, 3, 224, 224] },
    [STEP.baseline]: { data: image.pixels, dims: [1, 3, 224, 224] },
    [STEP.target]: { data: new Float32Array(c.numClasses), dims: [1, c.numClasses] },
  };
  await time('first step (run 1)', () => s.run(feeds));
  await time('second step', () => s.run(feeds));
  await s.release();
  const cached = await time('warm: read + check the cached ORT graph', () => cache.load('bench'));
  const s2 = await time('warm: ORT session from the cached graph', () => createSession(cached!, { ep: 'cpu', threads: THREADS }, { preOptimized: true }));
  await time('warm: first step', () => s2.run(feeds));
  await s2.release();
  return rows.map(([n, ms]) => [n, num(ms, 0)]);
}

async function cli(args: string[], env: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  await promisify(execFile)(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
  return (performance.now() - t0) / 1000;
}

async function folder(c: Classifier, files: string[], opts: NeuroMaskOptionsInput, cache: string): Promise<number> {
  const engine = new Engine(c, { ep: 'cpu', threads: THREADS, cache });
  try {
    const t0 = performance.now();
    for (const f of files) await neuromask(engine, [{ image: await loadImage(join(IMAGES, f), c.spec) }], { ...opts, batchSize: 1 });
    return (performance.now() - t0) / 1000;
  } finally {
    await engine.release();
  }
}

export async function speedBench(o: SpeedOptions): Promise<string> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  const image = await loadImage(join(IMAGES, 'dog.jpg'), c.spec);
  const scratch = await mkdtemp(join(tmpdir(), 'nm-bench-'));
  const parts: string[] = [];
  try {
    // Optimisation only, warm sessions, the two presets interleaved so load hits both alike.
    const engine = new Engine(c, { ep: 'cpu', threads: THREADS, cache: false });
    const runs = { prev: [] as Run[], next: [] as Run[] };
    await once(engine, image, { ...NEW_DEFAULT, iterations: 2 });
    for (let r = 0; r < o.repeats; r++) {
      runs.prev.push(await once(engine, image, PREVIOUS_DEFAULT));
      runs.next.push(await once(engine, image, NEW_DEFAULT));
    }
    await engine.release();
    const m = (rs: Run[], f: (r: Run) => number): number => median(rs.map(f));
    parts.push(
      `## NeuroMask default: one 224×224 photo (dog.jpg), MobileNetV2, ${THREADS} threads`,
      `Median of ${o.repeats} runs each, previous and new default interleaved in one process on warm sessions (optimisation only). CPU s = this process's user+system time (less sensitive than wall time to other work on the machine).`,
      table(
        ['preset', 'steps', 'ms / step', 'optimisation s', 'CPU s', 'vs previous'],
        [
          ['previous default (100 steps, Adam 0.1, from the whole image)', m(runs.prev, (r) => r.steps), num(m(runs.prev, (r) => r.msPerStep)), num(m(runs.prev, (r) => r.optimise), 2), num(m(runs.prev, (r) => r.cpu), 2), '1.00×'],
          [`default (${DEFAULT.iterations} steps, Adam ${DEFAULT.learningRate}, from logits ${DEFAULT.init.kind === 'constant' ? DEFAULT.init.value : 'uniform'})`, m(runs.next, (r) => r.steps), num(m(runs.next, (r) => r.msPerStep)), num(m(runs.next, (r) => r.optimise), 2), num(m(runs.next, (r) => r.cpu), 2), ratio(m(runs.prev, (r) => r.optimise), m(runs.next, (r) => r.optimise))],
        ],
      ),
      '',
    );

    // Cold and warm: a fresh engine with an empty, then a filled graph cache.
    const cacheDir = join(scratch, 'graphs');
    const fresh = async (): Promise<Run> => {
      const e = new Engine(c, { ep: 'cpu', threads: THREADS, cache: cacheDir });
      try {
        return await once(e, image, NEW_DEFAULT);
      } finally {
        await e.release();
      }
    };
    const cold = await fresh();
    const warm = await fresh();
    const rowsCli: (string | number)[][] = [];
    if (existsSync(DIST)) {
      const cliCache = join(scratch, 'cli-graphs');
      // A fresh --out each time: explain skips an image whose outputs exist with the same settings.
      const args = (out: string): string[] => ['explain', join(IMAGES, 'dog.jpg'), '-m', 'mobilenetv2-imagenet', '-o', join(scratch, out)];
      const first = await cli(args('cli-cold'), { NEUROMASK_CACHE: cliCache });
      const second = await cli(args('cli-warm'), { NEUROMASK_CACHE: cliCache });
      const noCache = await cli(args('cli-nocache'), { NEUROMASK_CACHE: 'off' });
      rowsCli.push(['`neuromask explain` (CLI process, wall)', num(first, 2), num(second, 2), num(noCache, 2)]);
    }
    parts.push(
      '### Seconds per explanation, cold and warm',
      'In-process: a fresh engine (graph build or cache load, sessions, unmasked forward, optimisation). CLI: the whole process (Node start-up, imports, decode, outputs written). Cold = empty graph cache; warm = the cache a previous run filled.',
      table(
        ['run', 'cold s', 'warm s', 'no cache s'],
        [['fresh engine, default preset (in-process)', num(cold.total, 2), num(warm.total, 2), '—'], ...rowsCli],
      ),
      existsSync(DIST) ? '' : '- CLI row skipped: dist/ not built (npm run build).',
      '### Start-up stages (cold process, ms)',
      table(['stage', 'ms'], await stages(c, join(scratch, 'stages'))),
      '',
    );

    const files = (await readdir(IMAGES)).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    const list = Array.from({ length: o.folderSize }, (_, i) => files[i % files.length]!);
    const prevS = await folder(c, list, PREVIOUS_DEFAULT, join(scratch, 'folder'));
    const nextS = await folder(c, list, NEW_DEFAULT, join(scratch, 'folder'));
    parts.push(
      `### Folder: ${o.folderSize} photos (the shared photos, cycled), one engine, end to end`,
      table(
        ['preset', 'seconds', 's / photo', '100 photos, min (extrapolated)', 'vs previous'],
        [
          ['previous default', num(prevS, 1), num(prevS / o.folderSize, 2), num((prevS / o.folderSize) * 100 / 60, 1), '1.00×'],
          ['default', num(nextS, 1), num(nextS / o.folderSize, 2), num((nextS / o.folderSize) * 100 / 60, 1), ratio(prevS, nextS)],
        ],
      ),
      '',
      `Targets (not asserted): optimisation ≤ 1 s — measured ${num(m(runs.next, (r) => r.optimise), 2)} s; second CLI run ≤ 1.5 s — ${rowsCli[0]?.[2] ?? '—'} s; 100 photos ≤ 2 min — ${num((nextS / o.folderSize) * 100 / 60, 1)} min.`,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return parts.join('\n');
}
