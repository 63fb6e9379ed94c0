import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { buildGradient } from '../../src/autodiff/index.js';
import { UnsupportedOpError } from '../../src/errors/unsupported-op-error.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { prepareGraph } from '../../src/onnx/rewrites/index.js';
import type { Graph } from '../../src/onnx/types.js';
import { writeModel } from '../../src/onnx/write.js';
import { parseModelJson } from '../../src/tfjs/read.js';
import type { TfjsArtifacts } from '../../src/tfjs/types.js';
import { gaussianStream, randn, rng } from '../../src/util/random.js';
import { SHARED_IMAGES } from './shared.js';

export { tf };

let ready: Promise<void> | undefined;

/** TF.js on its CPU backend, without the "install tfjs-node" banner (prod mode silences backend_util.warn). */
export function tfReady(): Promise<void> {
  ready ??= (async () => {
    tf.enableProdMode();
    await tf.setBackend('cpu');
  })();
  return ready;
}

const prod = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** A shared photo resized (stretched) to h×w, RGB in NHWC order, scaled to [-1, 1]. */
export async function photo(h: number, w: number, file = 'dog.jpg'): Promise<Float32Array> {
  const raw = await sharp(`${SHARED_IMAGES}${file}`).resize(w, h, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  return Float32Array.from(raw, (v) => v / 127.5 - 1);
}

/** A batch of two NHWC images: seeded N(0, 1) noise, then the photo (first 3 channels, tiled if c > 3). */
export async function twoInputs(h: number, w: number, c: number, seed = 11): Promise<{ x: Float32Array; dims: number[] }> {
  const n = h * w * c;
  const x = new Float32Array(2 * n);
  x.set(randn(n, seed), 0);
  const p = await photo(h, w);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) x[n + i * c + k] = p[i * 3 + (k % 3)]!;
  return { x, dims: [2, h, w, c] };
}

/**
 * Seeded weights with O(1) activations: kernels N(0, gain²/fan_in) (fan_in = all dims but the last),
 * vectors N(0, 0.5²), BN gamma ≈ 1, moving variance in [0.5, 2]. `gain` widens pre-activations so
 * clipping activations (relu6, hard_sigmoid) reach their caps.
 */
export function randomizeWeights(model: tf.LayersModel, seed: number, gain = 1): void {
  const next = gaussianStream(seed);
  const u = rng(seed + 1);
  const values = model.weights.map((v) => {
    const name = v.originalName;
    const shape = v.shape as number[];
    const n = prod(shape);
    let f: () => number;
    if (name.endsWith('moving_variance')) f = () => 0.5 + 1.5 * u();
    else if (name.endsWith('gamma')) f = () => 1 + 0.3 * next();
    else if (shape.length === 1) f = () => 0.5 * next();
    else {
      const std = gain / Math.sqrt(prod(shape.slice(0, -1)));
      f = () => std * next();
    }
    return tf.tensor(Float32Array.from({ length: n }, f), shape);
  });
  model.setWeights(values);
  tf.dispose(values);
}

const joinWeights = (d: tf.io.WeightData | undefined): Uint8Array => new Uint8Array(d === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(d));

/** `model.save` into memory, then into the form `readTfjsModel` gives for a model.json with one shard. */
export async function layersArtifacts(model: tf.LayersModel, patch?: (topology: Record<string, unknown>) => void): Promise<TfjsArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(saved?.modelTopology && saved.weightSpecs);
  const topology = JSON.parse(JSON.stringify(saved.modelTopology)) as Record<string, unknown>;
  patch?.(topology);
  const json = { format: saved.format, generatedBy: saved.generatedBy, convertedBy: saved.convertedBy ?? null, modelTopology: topology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: saved.weightSpecs }] };
  return { json: parseModelJson(json, 'memory'), weightData: joinWeights(saved.weightData), source: `memory:${model.name}` };
}

// ---------------------------------------------------------------- GraphDef JSON by hand

export interface TfNodeJson {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Attribute constructors in the GraphDef JSON encoding TF.js reads (int64 as strings, strings base64). */
export const attr = {
  s: (v: string) => ({ s: b64(v) }),
  i: (v: number) => ({ i: String(v) }),
  f: (v: number) => ({ f: v }),
  b: (v: boolean) => ({ b: v }),
  ints: (v: readonly number[]) => ({ list: { i: v.map(String) } }),
  strs: (v: readonly string[]) => ({ list: { s: v.map(b64) } }),
  type: (t: 'DT_FLOAT' | 'DT_INT32') => ({ type: t }),
  shape: (dims: readonly number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

/** Collects Const nodes with their weights (float32 or int32, in creation order) for one graph. */
export class GraphDefBuilder {
  readonly nodes: TfNodeJson[] = [];
  private readonly specs: tf.io.WeightsManifestEntry[] = [];
  private readonly chunks: Uint8Array[] = [];
  private seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  placeholder(name: string, shape: readonly number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.type('DT_FLOAT'), shape: attr.shape(shape) } });
    return name;
  }

  private constNode(name: string, dtype: 'DT_FLOAT' | 'DT_INT32', shape: readonly number[], bytes: Uint8Array): string {
    this.nodes.push({ name, op: 'Const', attr: { dtype: attr.type(dtype), value: { tensor: { dtype, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } } } });
    this.specs.push({ name, shape: [...shape], dtype: dtype === 'DT_FLOAT' ? 'float32' : 'int32' });
    this.chunks.push(bytes);
    return name;
  }

  /** A float constant: the given values, or seeded N(0, std²) with std = 1/√fan_in for kernels and 0.5 for others. */
  floats(name: string, shape: readonly number[], values?: readonly number[], std?: number): string {
    const s = std ?? (shape.length >= 2 ? 1 / Math.sqrt(prod(shape.slice(0, -1))) : 0.5);
    const data = values ? Float32Array.from(values) : randn(prod(shape), this.seed++, s);
    return this.constNode(name, 'DT_FLOAT', shape, new Uint8Array(data.buffer));
  }

  ints(name: string, shape: readonly number[], values: readonly number[]): string {
    return this.constNode(name, 'DT_INT32', shape, new Uint8Array(Int32Array.from(values).buffer));
  }

  op(name: string, op: string, input: string[], attrs: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: attr.type('DT_FLOAT'), ...attrs } });
    return name;
  }

  weightData(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.byteLength, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }

  weightSpecs(): tf.io.WeightsManifestEntry[] {
    return this.specs.map((s) => ({ ...s }));
  }

  /** The model.json + shard pair our importer reads. */
  artifacts(nodes: readonly TfNodeJson[] = this.nodes): TfjsArtifacts {
    const json = { format: 'graph-model', generatedBy: 'test', convertedBy: 'hand', modelTopology: { node: nodes, versions: { producer: 1 } }, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: this.weightSpecs() }] };
    return { json: parseModelJson(json, 'memory'), weightData: this.weightData(), source: 'memory:graph' };
  }

  /** The same graph (or a variant of its nodes over the same weights) loaded by TF.js itself. */
  async tfjsModel(nodes: readonly TfNodeJson[] = this.nodes): Promise<tf.GraphModel> {
    const data = this.weightData();
    const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: { node: nodes, versions: { producer: 1 } }, weightSpecs: this.weightSpecs(), weightData: buffer, format: 'graph-model' }));
  }
}

// ---------------------------------------------------------------- references and ONNX Runtime

export interface Outputs {
  logits: Float32Array;
  /** d(Σ_batch logit[cls]) / d input, NHWC; undefined when building or running the gradient failed. */
  grad?: Float32Array;
  gradError?: unknown;
}

/**
 * Gradient of Σ_batch f(x)[:, cls] by central differences of TF.js's forward, one input element at
 * a time (batched), the differences taken in float64 over the float32 steps actually taken. Exact up
 * to float32 rounding when f is affine in x, which is what the rows that use it are built to be.
 */
export function centralDifferences(f: (x: tf.Tensor) => tf.Tensor, x: Float32Array, dims: number[], cls: number, h = 1): Float32Array {
  const m = prod(dims.slice(1));
  const out = new Float32Array(x.length);
  const chunk = 128;
  for (let s = 0; s < dims[0]!; s++) {
    const sample = x.subarray(s * m, (s + 1) * m);
    for (let i0 = 0; i0 < m; i0 += chunk) {
      const k = Math.min(chunk, m - i0);
      const batch = new Float32Array(2 * k * m);
      for (let j = 0; j < k; j++) {
        batch.set(sample, 2 * j * m);
        batch.set(sample, (2 * j + 1) * m);
        batch[2 * j * m + i0 + j]! += h;
        batch[(2 * j + 1) * m + i0 + j]! -= h;
      }
      const y = tf.tidy(() => tf.gather(f(tf.tensor(batch, [2 * k, ...dims.slice(1)])), [cls], 1).dataSync() as Float32Array);
      for (let j = 0; j < k; j++) {
        const step = batch[2 * j * m + i0 + j]! - batch[(2 * j + 1) * m + i0 + j]!;
        out[s * m + i0 + j] = (y[2 * j]! - y[2 * j + 1]!) / step;
      }
    }
  }
  return out;
}

/** TF.js's own forward, and its tape gradient (tf.grad) of Σ_batch f(x)[:, cls] or central differences. */
export function tfjsOutputs(f: (x: tf.Tensor) => tf.Tensor, x: Float32Array, dims: number[], cls: number, gradient: 'tape' | 'differences' = 'tape'): Outputs {
  const logits = tf.tidy(() => Float32Array.from(f(tf.tensor(x, dims)).dataSync() as Float32Array));
  if (gradient === 'differences') return { logits, grad: centralDifferences(f, x, dims, cls) };
  const grad = tf.tidy(() => {
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.gather(f(v), [cls], 1)))(tf.tensor(x, dims));
    return Float32Array.from(g.dataSync() as Float32Array);
  });
  return { logits, grad };
}

/**
 * The imported graph prepared for batch dims[0] and run on ONNX Runtime: its logits, and the
 * gradient graph our autodiff appends for Σ_batch logits[:, cls] with respect to the NHWC input.
 */
export async function onnxOutputs(graph: Graph, x: Float32Array, dims: number[], cls: number): Promise<Outputs> {
  const prepared = prepareGraph(graph, { batch: dims[0]! });
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  const feeds = { input: new ort.Tensor('float32', x, dims) };
  const forward = await ort.InferenceSession.create(writeModel(prepared), opts);
  const logits = Float32Array.from((await forward.run(feeds))['logits']!.data as Float32Array);
  await forward.release();
  try {
    const k = Number(graph.outputs[0]!.shape[1]);
    const b = new GraphBuilder(prepared);
    const onehot = new Float32Array(dims[0]! * k);
    for (let i = 0; i < dims[0]!; i++) onehot[i * k + cls] = 1;
    const loss = b.add('ReduceSum', [b.add('Mul', ['logits', b.floats([dims[0]!, k], onehot, 'onehot')])], { keepdims: 0 });
    b.output(loss, 'float32', []);
    const built = buildGradient(b.build(), { of: loss, wrt: ['input'] });
    const session = await ort.InferenceSession.create(writeModel(built.graph), opts);
    const grad = Float32Array.from((await session.run(feeds))[built.gradients['input']!]!.data as Float32Array);
    await session.release();
    return { logits, grad };
  } catch (e) {
    return { logits, gradError: e };
  }
}

/**
 * |actual − expected| ≤ rtol · max(|expected|, floor · max|expected|) elementwise: relative, with an
 * absolute floor at a fraction of the largest reference value (float32 sums differ by order).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, floor = 0.02): number {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  assert.ok(scale > 0, `${what}: the reference is all zeros, which proves nothing`);
  let worst = 0;
  let at = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const r = Math.abs(actual[i]! - e) / Math.max(Math.abs(e), floor * scale);
    if (!(r <= worst)) [worst, at] = [r, i];
  }
  assert.ok(worst <= rtol, `${what}: element ${at} is ${actual[at]} but TF.js gives ${expected[at]} (relative error ${worst.toExponential(2)} > ${rtol})`);
  return worst;
}

/** Softmax over the last axis of a [n, k] array. */
export function softmaxRows(v: Float32Array, k: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / k; r++) {
    const row = v.subarray(r * k, (r + 1) * k);
    const m = Math.max(...row);
    const e = Array.from(row, (z) => Math.exp(z - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((z, i) => (out[r * k + i] = z / s));
  }
  return out;
}

/**
 * Forward then gradient parity of an import against TF.js. A gradient that could not be built
 * because one of `pendingRules` has no rule yet (rules that land with the `compat` branch) is not a
 * failure: the op is returned, for the caller to mark the test TODO; any other error is thrown.
 */
export function assertParity(ours: Outputs, ref: Outputs, what: string, pendingRules: readonly string[] = []): string | undefined {
  assertClose(ours.logits, ref.logits, 1e-4, `${what} logits`);
  const e = ours.gradError;
  if (e instanceof UnsupportedOpError && pendingRules.includes(e.opType)) return e.opType;
  if (e !== undefined) throw e;
  assert.ok(ours.grad && ref.grad);
  assertClose(ours.grad, ref.grad, 1e-3, `${what} input gradient`);
  return undefined;
}
