import * as ort from 'onnxruntime-node';
import { buildGradient } from '../../src/autodiff/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { writeModel } from '../../src/onnx/write.js';
import { inferShapes } from '../../src/onnx/shapes.js';
import type { Graph } from '../../src/onnx/types.js';
import { randn } from './random.js';

export interface GradCheckResult {
  /** Largest relative error of directional derivatives: |fd - g·v| / max(|fd|, scale). */
  maxRelError: number;
  analytic: number[];
  numeric: number[];
}

/**
 * Central finite differences of L = sum(r ⊙ y) along random directions, against the gradient
 * graph's g·v. `g` has one float input `x` whose shape is static; y = the graph's first output.
 */
export async function gradCheck(g: Graph, opts: { seed?: number; h?: number; directions?: number; x?: Float32Array; webgpu?: boolean } = {}): Promise<GradCheckResult> {
  const seed = opts.seed ?? 1;
  const h = opts.h ?? 1e-3;
  const xInfo = g.inputs[0]!;
  const xDims = xInfo.shape as number[];
  const n = xDims.reduce((a, b) => a * b, 1);
  const yName = g.outputs[0]!.name;

  const b = new GraphBuilder(g);
  const yDims = inferShapes(g).get(yName)!.dims;
  const ny = yDims.reduce((a, c) => a * c, 1);
  const r = b.floats(yDims, randn(ny, seed + 7), 'r');
  const loss = b.add('ReduceSum', [b.add('Mul', [b.add('Identity', [yName]), r])], { keepdims: 0 });
  b.outputs.length = 0;
  b.output(loss, 'float32', []);
  const { graph, gradients } = buildGradient(b.build(), { of: loss, wrt: [xInfo.name], webgpu: opts.webgpu === true });
  const session = await ort.InferenceSession.create(writeModel(graph), { intraOpNumThreads: 1 });
  const run = async (x: Float32Array): Promise<{ l: number; grad: Float32Array }> => {
    const out = await session.run({ [xInfo.name]: new ort.Tensor('float32', x, xDims) });
    return { l: (out[loss]!.data as Float32Array)[0]!, grad: out[gradients[xInfo.name]!]!.data as Float32Array };
  };
  const x0 = opts.x ?? randn(n, seed);
  const { grad } = await run(x0);
  const analytic: number[] = [];
  const numeric: number[] = [];
  let maxRelError = 0;
  for (let d = 0; d < (opts.directions ?? 4); d++) {
    const v = randn(n, seed * 100 + d);
    const plus = x0.map((xi, i) => xi + h * v[i]!);
    const minus = x0.map((xi, i) => xi - h * v[i]!);
    const fd = ((await run(plus)).l - (await run(minus)).l) / (2 * h);
    let gv = 0;
    for (let i = 0; i < n; i++) gv += grad[i]! * v[i]!;
    analytic.push(gv);
    numeric.push(fd);
    const scale = Math.max(Math.abs(fd), Math.abs(gv), 1e-1);
    maxRelError = Math.max(maxRelError, Math.abs(fd - gv) / scale);
  }
  await session.release();
  return { maxRelError, analytic, numeric };
}

/** A table row for rule tests: a graph with one input `x`, checked by gradCheck. */
export type Case = { name: string; graph: () => Graph; h?: number; tol?: number };

/** y = op(x, constants…), x: [2, 3, 6, 6] unless the case says otherwise. */
export function unary(build: (b: GraphBuilder, x: string) => string, xShape = [2, 3, 6, 6]): () => Graph {
  return () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', xShape);
    const y = build(b, x);
    b.output(y, 'float32', []);
    return b.build('case');
  };
}

/** A seeded random constant of the given shape. */
export const w = (b: GraphBuilder, dims: number[], seed: number, scale = 0.5): string =>
  b.floats(dims, randn(dims.reduce((p, d) => p * d, 1), seed, scale), 'w');
