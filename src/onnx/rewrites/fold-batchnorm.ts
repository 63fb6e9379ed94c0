import { attrFloat } from '../attrs.js';
import { tensor, toFloat32 } from '../tensor.js';
import type { Graph, Node, Tensor } from '../types.js';
import { pruneDead } from './prune.js';

/**
 * Fold inference BatchNormalization into the Conv before it when that Conv's output feeds only
 * the BN and its weights are initializers; other BNs are left alone.
 */
export function foldBatchNorm(g: Graph): Graph {
  const consumers = new Map<string, number>();
  for (const n of g.nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const graphOutputs = new Set(g.outputs.map((o) => o.name));
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
  const inits = new Map(g.initializers);
  const replaced = new Map<Node, Node>();
  const dropped = new Set<Node>();
  for (const bn of g.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.domain !== '' || bn.outputs.filter(Boolean).length !== 1) continue;
    const x = bn.inputs[0]!;
    const conv = producer.get(x);
    if (!conv || conv.opType !== 'Conv' || consumers.get(x) !== 1 || graphOutputs.has(x) || replaced.has(conv)) continue;
    const params = bn.inputs.slice(1, 5).map((i) => inits.get(i));
    const w = inits.get(conv.inputs[1]!);
    const bias = conv.inputs[2] ? inits.get(conv.inputs[2]) : undefined;
    if (!w || params.some((p) => !p) || (conv.inputs[2] && !bias)) continue;
    const [scaleT, shiftT, meanT, varT] = params as Tensor[];
    const folded = fold(w, bias, toFloat32(scaleT!), toFloat32(shiftT!), toFloat32(meanT!), toFloat32(varT!), attrFloat(bn, 'epsilon', 1e-5));
    const wName = `${conv.inputs[1]}_bnfold_${bn.name}`;
    const bName = `${bn.name}_bnfold_bias`;
    inits.set(wName, folded.w);
    inits.set(bName, folded.b);
    replaced.set(conv, { ...conv, inputs: [conv.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!] });
    dropped.add(bn);
  }
  const nodes = g.nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n);
  return pruneDead({ ...g, nodes, initializers: inits });
}

function fold(w: Tensor, bias: Tensor | undefined, scale: Float32Array, shift: Float32Array, mean: Float32Array, variance: Float32Array, eps: number): { w: Tensor; b: Tensor } {
  const m = w.dims[0]!;
  const per = w.data.length / m;
  const wd = toFloat32(w);
  const bd = bias ? toFloat32(bias) : new Float32Array(m);
  const nw = new Float32Array(wd.length);
  const nb = new Float32Array(m);
  for (let c = 0; c < m; c++) {
    const k = scale[c]! / Math.sqrt(variance[c]! + eps);
    for (let j = 0; j < per; j++) nw[c * per + j] = wd[c * per + j]! * k;
    nb[c] = (bd[c]! - mean[c]!) * k + shift[c]!;
  }
  return { w: tensor('float32', w.dims, nw), b: tensor('float32', [m], nb) };
}
