import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { GraphBuilder } from '../onnx/builder.js';
import { inferShapes } from '../onnx/shapes.js';
import { SHAPE_RULES } from '../onnx/shape-rules/index.js';
import type { Graph, Node } from '../onnx/types.js';
import { ruleFor, ruleForTarget } from './registry.js';
import type { GradContext } from './types.js';
import './rules/index.js';

export interface GradientRequest {
  /** The tensor to differentiate; seeded with ones (a scalar loss gets 1). */
  of: string;
  /** Graph inputs or intermediate tensors whose gradients become graph outputs. */
  wrt: readonly string[];
  /** Instead of ones, take the cotangent of `of` from this tensor (e.g. a graph input). */
  seed?: string;
  /** Output names for the gradients (wrt name → output name); default `<wrt>_grad`, made unique. */
  names?: Readonly<Record<string, string>>;
  /** Use the WebGPU-safe rules (e.g. MaxPool without Indices) where they differ: for a graph run on WebGPU. */
  webgpu?: boolean;
}

export interface GradientGraph {
  graph: Graph;
  /** wrt tensor name → name of its gradient output. */
  gradients: Record<string, string>;
}

/** Forward nodes that depend on a `wrt` tensor and feed `of`: the only ones that need rules. */
function activeNodes(g: Graph, of: string, wrt: readonly string[]): Set<Node> {
  const tainted = new Set(wrt);
  const dependent = new Set<Node>();
  for (const n of g.nodes) {
    if (n.inputs.some((i) => tainted.has(i))) {
      dependent.add(n);
      for (const o of n.outputs) if (!wrt.includes(o)) tainted.add(o);
    }
  }
  const needed = new Set([of]);
  const active = new Set<Node>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    for (const x of n.inputs) needed.add(x);
    if (dependent.has(n)) active.add(n);
  }
  return active;
}

function unsupported(n: Node): UnsupportedOpError {
  return new UnsupportedOpError(n.opType, n.name, { ...(n.domain ? { domain: n.domain } : {}), detail: 'no gradient rule for this op' });
}

/** Append the backward pass of `req.of` with respect to `req.wrt` to the graph, as ONNX ops. */
export function buildGradient(g: Graph, req: GradientRequest): GradientGraph {
  const active = activeNodes(g, req.of, req.wrt);
  // An op on the path with neither rule (e.g. Loop) is named as missing its gradient, not its shape rule.
  const known = (n: Node): boolean => !!ruleFor(n.opType, n.domain) || ((n.domain === '' || n.domain === 'ai.onnx') && n.opType in SHAPE_RULES);
  for (const n of active) if (!known(n)) throw unsupported(n);
  const shapes = inferShapes(g);
  const b = new GraphBuilder(g, 'grad/');
  const tainted = new Set<string>(req.wrt);
  for (const n of g.nodes) if (active.has(n)) for (const o of n.outputs) tainted.add(o);

  const info = (name: string): { dtype: string; dims: number[] } => {
    const s = shapes.get(name);
    if (!s) throw new Error(`internal: no shape known for tensor "${name}"`);
    return s;
  };

  const ctx: GradContext = {
    b,
    shape: (name) => info(name).dims,
    dtype: (name) => info(name).dtype as ReturnType<GradContext['dtype']>,
    constant: (name) => b.initializers.get(name),
    needsGrad: (name) => tainted.has(name),
    extraOutput: (node, index) => {
      const existing = node.outputs[index];
      if (existing) return existing;
      const i = b.nodes.findIndex((m) => m.name === node.name);
      const current = b.nodes[i]!;
      const outputs = [...current.outputs];
      while (outputs.length <= index) outputs.push('');
      const name = b.fresh(`${node.name}_out${index}`);
      outputs[index] = name;
      b.nodes[i] = { ...current, outputs };
      return name;
    },
  };

  const contributions = new Map<string, string[]>();
  const addGrad = (name: string, g: string): void => {
    const list = contributions.get(name);
    if (list) list.push(g);
    else contributions.set(name, [g]);
  };
  const gradOf = (name: string): string | undefined => {
    const list = contributions.get(name);
    if (!list || list.length === 0) return undefined;
    if (list.length > 1) contributions.set(name, [b.add('Sum', list)]);
    return contributions.get(name)![0];
  };

  const ofShape = info(req.of).dims;
  addGrad(req.of, req.seed ?? b.floats(ofShape, new Float32Array(ofShape.reduce((p, d) => p * d, 1)).fill(1), 'seed'));

  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!active.has(n)) continue;
    const gys = n.outputs.map((o) => (o ? gradOf(o) : undefined));
    if (gys.every((x) => x === undefined)) continue;
    const rule = ruleForTarget(n.opType, n.domain, req.webgpu === true);
    if (!rule) throw unsupported(n);
    const gxs = rule(n, gys, ctx);
    n.inputs.forEach((x, k) => {
      const gx = gxs[k];
      if (gx && x && tainted.has(x)) addGrad(x, gx);
    });
  }

  const gradients: Record<string, string> = {};
  for (const w of req.wrt) {
    const dims = info(w).dims;
    const gw = gradOf(w) ?? b.floats(dims, new Float32Array(dims.reduce((p, d) => p * d, 1)), 'zero_grad');
    const out = req.names?.[w] ?? b.fresh(`${w}_grad`);
    b.push('Identity', [gw], [out]);
    b.output(out, 'float32', dims);
    gradients[w] = out;
  }
  if (b.opsets[''] !== undefined && b.opsets['']! < 17) b.opsets[''] = 17;
  return { graph: b.build(g.name), gradients };
}
