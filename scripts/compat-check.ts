/**
 * One compatibility check: an exported classifier goes through the project's own pipeline
 * (loadClassifier → Engine → targetGradients) and is compared with ONNX Runtime on the original
 * file (forward) and with central finite differences (gradient).
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { targetGradients } from '../src/runtime/gradients.js';
import { rng, uniform } from '../src/util/random.js';

export interface CompatCase {
  model: string;
  opset: number;
  batch: 'static' | 'dynamic';
  size: number;
  file: string;
}

export interface CompatResult {
  loads: boolean;
  /** max |ours - reference| over the logits, and that relative to max |reference|. */
  fwdAbs?: number;
  fwdRel?: number;
  /** Sampled pixels whose gradient agrees with finite differences within 10 %. */
  agree?: number;
  samples?: number;
  worstRel?: number;
  cosine?: number;
  stepMs?: number;
  note: string;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

export interface CheckOptions {
  /** Pixels probed with finite differences. */
  samples: number;
  /** Finite-difference step in [0,1] pixel units. */
  h: number;
  /** Timed forward+backward steps (median reported). */
  steps: number;
  threads: number;
}

/** Logits of ONNX Runtime on the untouched exported file, for normalised input. */
async function referenceLogits(c: CompatCase, pixels: Float32Array): Promise<Float32Array> {
  const area = c.size * c.size;
  const x = pixels.map((v, i) => (v - MEAN[Math.floor(i / area)]!) / STD[Math.floor(i / area)]!);
  const s = await ort.InferenceSession.create(await readFile(c.file), { intraOpNumThreads: 2 });
  try {
    const out = await s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3, c.size, c.size]) });
    return out[s.outputNames[0]!]!.data as Float32Array;
  } finally {
    await s.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function argmax(a: Float32Array): number {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[k]!) k = i;
  return k;
}

/** The largest-gradient pixels and random ones among the top 2000, without repeats. */
function pickPixels(g: Float32Array, count: number, seed: number): number[] {
  const order = [...g.keys()].sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
  const picks = new Set(order.slice(0, Math.ceil(count / 2)));
  const r = rng(seed);
  while (picks.size < count) picks.add(order[Math.floor(r() * Math.min(2000, order.length))]!);
  return [...picks];
}

export async function checkModel(c: CompatCase, o: CheckOptions): Promise<CompatResult> {
  let engine: Engine;
  try {
    const classifier = await loadClassifier(c.file, {
      name: `${c.model}-op${c.opset}-${c.batch}`,
      spec: { inputSize: [c.size, c.size], resize: 'stretch', mean: MEAN, std: STD },
    });
    engine = new Engine(classifier, { ep: 'cpu', threads: o.threads });
    engine.graph(1);
  } catch (e) {
    return { loads: false, note: firstLine(e) };
  }
  try {
    const pixels = uniform(3 * c.size * c.size, 0, 1, 7);
    const ours = await engine.forward(pixels, 1);
    const ref = await referenceLogits(c, pixels);
    const fwdAbs = maxAbsDiff(ours, ref);
    const scale = maxAbs(ref);
    const top = argmax(ref);
    const { grad, logits } = await targetGradients(engine, pixels, 1, [top]);
    const notes: string[] = [];
    if (maxAbsDiff(logits, ours) > 1e-4 * Math.max(1, scale)) notes.push('gradient graph logits differ from forward');

    const errors: number[] = [];
    const pairs: [number, number][] = [];
    const gmax = maxAbs(grad);
    for (const p of pickPixels(grad, o.samples, 11)) {
      const plus = pixels.slice();
      const minus = pixels.slice();
      plus[p]! += o.h;
      minus[p]! -= o.h;
      const fd = ((await engine.forward(plus, 1))[top]! - (await engine.forward(minus, 1))[top]!) / (2 * o.h);
      pairs.push([grad[p]!, fd]);
      errors.push(Math.abs(fd - grad[p]!) / Math.max(Math.abs(grad[p]!), 0.05 * gmax));
    }
    const dot = pairs.reduce((s, [a, b]) => s + a * b, 0);
    const norm = Math.sqrt(pairs.reduce((s, [a]) => s + a * a, 0) * pairs.reduce((s, [, b]) => s + b * b, 0));

    const times: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const t0 = performance.now();
      await targetGradients(engine, pixels, 1, [top]);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      loads: true,
      fwdAbs,
      fwdRel: fwdAbs / Math.max(scale, 1e-12),
      agree: errors.filter((e) => e < 0.1).length,
      samples: errors.length,
      worstRel: Math.max(...errors),
      cosine: norm > 0 ? dot / norm : 0,
      stepMs: times[Math.floor(times.length / 2)]!,
      note: notes.join('; '),
    };
  } catch (e) {
    return { loads: true, note: firstLine(e) };
  } finally {
    await engine.release();
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  return msg.split('\n')[0]!.slice(0, 200);
}
