/**
 * The default NeuroMask against every other method (and against the previous default) on the
 * shared photos (hand-drawn boxes of docs/study/boxes.json) and on the fashion-canvas benchmark:
 * pointing, energy in box, deletion, insertion, masked p, passes, seconds.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest, type Box } from '../src/eval/manifest.js';
import { runEvaluation, type EvalItem } from '../src/eval/runner.js';
import { methodNames } from '../src/methods/registry.js';
import { loadClassifier } from '../src/models/classifier.js';
import type { MethodSummary } from '../src/report/summary.js';
import { Engine } from '../src/runtime/engine.js';
import { PREVIOUS_DEFAULT } from './neuromask-speed.js';
import { num, table } from './table.js';

const IMAGES = fileURLToPath(new URL('../../shared/images', import.meta.url));
const BOXES = fileURLToPath(new URL('../docs/study/boxes.json', import.meta.url));
const CANVAS = fileURLToPath(new URL('../assets/benchmarks/fashion-canvas/manifest.json', import.meta.url));
const STUDY_FILES: Record<string, string> = { dog: 'dog.jpg', eagle: 'eagle.jpg', squirrel_cls: 'squirrel_cls.jpg', orange: 'orange.jpg', baboon: 'baboon.jpg', butterfly: 'butterfly.jpg', chelsea: 'chelsea.png', coffee: 'coffee.png', motorcycle_left: 'motorcycle_left.png' };

export interface MethodsOptions {
  photos: number;
  canvases: number;
  methods?: string[];
}

function photoItems(n: number): EvalItem[] {
  const boxes = (JSON.parse(readFileSync(BOXES, 'utf8')) as { boxes: Record<string, { box: Box }> }).boxes;
  return Object.entries(STUDY_FILES).slice(0, n).map(([id, f]) => ({ id, source: join(IMAGES, f), boxes: [boxes[id]!.box] }));
}

async function canvasItems(n: number): Promise<EvalItem[]> {
  return (await readManifest(CANVAS)).slice(0, n);
}

async function evaluate(model: string, items: EvalItem[], methods: string[], neuromaskOptions: Record<string, unknown>): Promise<MethodSummary[]> {
  const c = await loadClassifier(model);
  const engine = new Engine(c, { ep: 'cpu', threads: 2 });
  const out = await mkdtemp(join(tmpdir(), 'nm-bench-eval-'));
  try {
    return (await runEvaluation(engine, items, { methods, out, methodOptions: { neuromask: neuromaskOptions } })).summary;
  } finally {
    await engine.release();
    await rm(out, { recursive: true, force: true });
  }
}

function rows(s: MethodSummary[], rename: (m: string) => string = (m) => m): (string | number)[][] {
  const f = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '–' : num(v, d));
  return s.map((x) => [rename(x.method), x.pointing ? f(x.pointing.accuracy, 2) : '–', f(x.means.energyInBox), f(x.means.deletionAuc), f(x.means.insertionAuc), f(x.means.maskedProbability), f(x.means.forwardPasses, 0), f(x.means.backwardPasses, 0), f(x.means.seconds, 2)]);
}

export async function methodsBench(o: MethodsOptions): Promise<string> {
  const methods = o.methods ?? methodNames();
  const head = ['method', 'pointing ↑', 'energy in box ↑', 'deletion AUC ↓', 'insertion AUC ↑', 'masked p', 'forward', 'backward', 's / image'];
  const parts: string[] = ['## Default against the other methods'];
  const sets: [string, string, EvalItem[]][] = [
    [`${o.photos} shared photos, MobileNetV2 (boxes: docs/study/boxes.json)`, 'mobilenetv2-imagenet', photoItems(o.photos)],
    [`fashion-canvas, first ${o.canvases} canvases, fashion-canvas-cnn`, 'fashion-canvas-cnn', await canvasItems(o.canvases)],
  ];
  for (const [title, model, items] of sets) {
    if (items.length === 0) continue;
    const all = await evaluate(model, items, methods, {});
    const prev = methods.includes('neuromask') ? await evaluate(model, items, ['neuromask'], { ...PREVIOUS_DEFAULT }) : [];
    parts.push(`### ${title}`, table(head, [...rows(all, (m) => (m === 'neuromask' ? 'neuromask (default)' : m)), ...rows(prev, () => 'neuromask (previous default)')]), '');
  }
  parts.push('Pointing: TorchRay-style, 15 px tolerance, every tied maximum must hit. Deletion/insertion: RISE protocol (black / blurred substrate, one row of pixels per step).');
  return parts.join('\n');
}
