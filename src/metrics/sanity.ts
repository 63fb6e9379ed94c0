/**
 * Model-randomisation sanity check (Adebayo et al., 2018, "Sanity Checks for Saliency Maps"):
 * an explanation that depends on what the model learnt must change when the weights are
 * replaced by random ones, layer by layer from the output down.
 */
import type { ImageInput } from '../image/load.js';
import type { Classifier } from '../models/classifier.js';
import { constantFold, dequantize, foldBatchNorm } from '../onnx/rewrites/index.js';
import { tensor, toFloat32 } from '../onnx/tensor.js';
import type { Graph, Node, Tensor } from '../onnx/types.js';
import type { EngineCore as Engine } from '../runtime/engine-core.js';
import { randn, rng } from '../util/random.js';
import { targetProbabilities } from './mask-stats.js';
import { spearman } from './rank-correlation.js';

const PARAMETERISED = new Set(['Conv', 'Gemm', 'MatMul']);

export interface RandomisedModel {
  /** The topmost layer re-initialised in this step (all layers above it are random too). */
  layer: string;
  classifier: Classifier;
}

/**
 * `prepareGraph` without fixing the batch: weights dequantized and BNs folded, batch still
 * symbolic. Preparing at batch 1 instead would fold Shape-derived reshapes (MobileNetV2's
 * `Reshape(x, [1, -1])`) into constants that break every other batch size.
 */
export function floatGraph(g: Graph): Graph {
  return constantFold(foldBatchNorm(constantFold(dequantize(g))));
}

/** Weight operands of a parameterised node (not biases): float32 initializers among inputs 0–1. */
function weightInputs(n: Node, g: Graph): string[] {
  return n.inputs.slice(0, 2).filter((i) => g.initializers.get(i)?.dtype === 'float32');
}

function std(t: Tensor): number {
  const v = toFloat32(t);
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return Math.sqrt(s / v.length);
}

/**
 * Cascading randomisation: entry k has the k+1 topmost parameterised layers (Conv, Gemm,
 * MatMul; by graph order from the output) re-initialised with N(0, σ²), σ the original weights'
 * standard deviation; biases and lower layers keep their values. Each classifier carries the
 * float graph with a symbolic batch, so `Engine` prepares it per batch like any other.
 */
export function cascadingRandomisations(classifier: Classifier, seed = 0): RandomisedModel[] {
  const base = floatGraph(classifier.graph);
  const layers = base.nodes.filter((n) => n.domain === '' && PARAMETERISED.has(n.opType) && weightInputs(n, base).length > 0).reverse();
  const next = rng(seed);
  const initializers = new Map(base.initializers);
  const done = new Set<string>();
  return layers.map((n, k) => {
    for (const name of weightInputs(n, base)) {
      // A weight shared by several nodes is randomised once, by the topmost.
      if (done.has(name)) continue;
      done.add(name);
      const t = base.initializers.get(name)!;
      initializers.set(name, tensor('float32', t.dims, randn(t.data.length, Math.floor(next() * 2 ** 32), std(t))));
    }
    const layer = n.name || n.outputs[0] || `${n.opType}#${k}`;
    const graph: Graph = { ...base, initializers: new Map(initializers) };
    return { layer, classifier: { ...classifier, name: `${classifier.name}~random-to-${layer}`, graph } };
  });
}

export interface RandomisationResult {
  layer: string;
  /** Rank correlation of the randomised model's map with the original's; high = insensitive. */
  spearman: number;
  /** The target's probability under the randomised model: shows the model really changed. */
  probability: number;
}

/**
 * Explain with the original model and with each step of the cascade; compare maps by Spearman ρ
 * (of |map| when `absolute`, since sign flips are common after randomisation).
 */
export async function modelRandomisationCheck<E extends Engine>(
  engine: E,
  image: ImageInput,
  target: number,
  explainMap: (engine: E) => Promise<Float32Array>,
  { absolute, seed = 0 }: { absolute: boolean; seed?: number },
): Promise<RandomisationResult[]> {
  const prep = (m: Float32Array): Float32Array => (absolute ? m.map(Math.abs) : m);
  const original = prep(await explainMap(engine));
  const out: RandomisationResult[] = [];
  for (const { layer, classifier } of cascadingRandomisations(engine.classifier, seed)) {
    const e = engine.sibling(classifier) as E; // each platform's engine makes its own kind
    try {
      const map = prep(await explainMap(e));
      const [probability] = await targetProbabilities(e, image.pixels, 1, target);
      out.push({ layer, spearman: spearman(original, map), probability: probability! });
    } finally {
      await e.release();
    }
  }
  return out;
}
