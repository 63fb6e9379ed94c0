/**
 * docs/study/findings.md, fifth round: NeuroMask configurations scored the way `evaluate` scores
 * every method (pointing, energy in box, deletion/insertion AUC of the map, masked p, passes), on
 * the ten study photos (docs/study/boxes.json, MobileNetV2) and on fashion-canvas.
 *
 *   NEUROMASK_HOME=../shared/models npx tsx scripts/study-steps.ts NAME[,NAME…] [canvases] [photos|canvas]
 *
 * NAME is a variant below (`default`: the preset as it is now), or `rise` / `occlusion` (those
 * methods' defaults, for comparison).
 * canvases: how many fashion-canvas items (default 100; 0 = photos only); then `photos` or `canvas`
 * to score one set only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEvaluation } from '../src/eval/runner.js';
import type { EvalItem } from '../src/eval/types.js';
import type { NeuroMaskOptionsInput } from '../src/methods/neuromask/options.js';
import { loadClassifier } from '../src/models/classifier.js';
import type { MethodSummary } from '../src/report/summary.js';
import { Engine } from '../src/runtime/engine.js';
import { canvasItems, studyPhotos } from './study-items.js';

/**
 * The default as it was before the fifth round (30 steps of lr 0.27, area 4, smoothness 1 at every
 * size), pinned so these rows stay comparable as DEFAULT changes; each variant changes it.
 */
const ROUND4 = { iterations: 30, learningRate: 0.27, area: 4, smoothness: 1 } as const;
const VARIANTS: Record<string, NeuroMaskOptionsInput> = {
  'default': {},
  's30-lr27': { ...ROUND4 },
  's20-lr40': { ...ROUND4, iterations: 20, learningRate: 0.4 },
  's20-lr35': { ...ROUND4, iterations: 20, learningRate: 0.35 },
  's16-lr50': { ...ROUND4, iterations: 16, learningRate: 0.5 },
  's12-lr67': { ...ROUND4, iterations: 12, learningRate: 0.67 },
  's24-lr33': { ...ROUND4, iterations: 24, learningRate: 0.33 },
  's20-lr40-area3.5': { ...ROUND4, iterations: 20, learningRate: 0.4, area: 3.5 },
  's20-lr40-area3.5-smooth0.1': { ...ROUND4, iterations: 20, learningRate: 0.4, area: 3.5, smoothness: 0.1 },
  's20-lr45': { ...ROUND4, iterations: 20, learningRate: 0.45 },
  'smooth0.1': { ...ROUND4, smoothness: 0.1 },
  'smooth0.3': { ...ROUND4, smoothness: 0.3 },
  's20-lr40-smooth0.1': { ...ROUND4, iterations: 20, learningRate: 0.4, smoothness: 0.1 },
  's20-lr40-smooth0.3': { ...ROUND4, iterations: 20, learningRate: 0.4, smoothness: 0.3 },
  's20-lr40-smooth0.5': { ...ROUND4, iterations: 20, learningRate: 0.4, smoothness: 0.5 },
};

const names = (process.argv[2] ?? 'default').split(',');
const canvases = Number(process.argv[3] ?? 100);
const only = process.argv[4];
const photos = studyPhotos().map((p) => ({ ...p, id: p.id.replace('@', '_') }));

async function score(model: string, items: EvalItem[], name: string): Promise<MethodSummary> {
  const c = await loadClassifier(model);
  const engine = new Engine(c, { ep: 'cpu', threads: 2, cache: false });
  const out = await mkdtemp(join(tmpdir(), 'nm-study-steps-'));
  const method = name === 'rise' || name === 'occlusion' ? name : 'neuromask';
  try {
    const r = await runEvaluation(engine, items, { methods: [method], out, methodOptions: method === 'neuromask' ? { neuromask: { ...VARIANTS[name] } } : {} });
    return r.summary[0]!;
  } finally {
    await engine.release();
    await rm(out, { recursive: true, force: true });
  }
}

const f = (v: number | null | undefined, d = 3): string => (v === null || v === undefined ? '–' : v.toFixed(d));
console.log('| variant | set | pointing | energy | deletion ↓ | insertion ↑ | area | masked p | fwd | bwd | s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const name of names) {
  if (!(name in VARIANTS) && name !== 'rise' && name !== 'occlusion') throw new Error(`unknown variant ${name}`);
  const sets: [string, string, EvalItem[]][] = only === 'canvas' ? [] : [['photos', 'mobilenetv2-imagenet', photos]];
  if (canvases > 0 && only !== 'photos') sets.push(['canvas', 'fashion-canvas-cnn', await canvasItems(canvases)]);
  for (const [set, model, items] of sets) {
    const s = await score(model, items, name);
    const m = s.means;
    console.log(`| ${name} | ${set} | ${f(s.pointing?.accuracy, 2)} | ${f(m.energyInBox)} | ${f(m.deletionAuc)} | ${f(m.insertionAuc)} | ${f(m.maskArea)} | ${f(m.maskedProbability)} | ${f(m.forwardPasses, 0)} | ${f(m.backwardPasses, 0)} | ${f(m.seconds, 2)} |`);
  }
}
