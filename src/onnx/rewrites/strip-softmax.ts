import { attrInt, opsetOf } from '../attrs.js';
import { inferKnownShapes } from '../shapes.js';
import type { Graph, Node } from '../types.js';
import { withBatch } from './fix-batch.js';

/** Ops that only rename or reshape: a softmax behind them still ends the graph. */
const PASS_THROUGH = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze']);
const SOFTMAXES = new Set(['Softmax', 'LogSoftmax']);

export interface StrippedGraph {
  graph: Graph;
  /** The op removed ('Softmax' or 'LogSoftmax'), or undefined when the output was left as it is. */
  stripped: string | undefined;
}

const isOnnx = (n: Node): boolean => n.domain === '' || n.domain === 'ai.onnx';

/**
 * Whether `n` normalises over the class axis only. Before opset 13, Softmax flattens its input
 * to 2-D at `axis` (default 1): over the classes for axis 1. From 13 it runs along `axis`
 * (default -1): over the classes when every other non-batch dim is 1.
 */
function overClasses(n: Node, opset: number, dims: readonly number[] | undefined): boolean {
  const axis = attrInt(n, 'axis', opset >= 13 ? -1 : 1);
  if (opset < 13) return axis === 1 || (dims !== undefined && axis === 1 - dims.length);
  if (!dims) return axis === -1;
  const a = axis < 0 ? axis + dims.length : axis;
  return a >= 1 && dims.every((d, i) => i === 0 || i === a || d === 1);
}

/**
 * If `output` is computed by a final Softmax or LogSoftmax over the classes (possibly behind
 * Identity, Flatten, Reshape or Squeeze), rewire the graph so `output` carries the logits
 * before it. Softmax of those logits is the model's own output, and explanations that work on
 * logits are not squashed by a saturated softmax. One notion for ONNX files and TF.js imports.
 */
export function stripFinalSoftmax(g: Graph, output: string): StrippedGraph {
  const producer = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  let tensor = output;
  let consumer: Node | undefined; // the pass-through node reading the softmax's output
  let p = producer.get(tensor);
  while (p && isOnnx(p) && PASS_THROUGH.has(p.opType) && p.inputs[0]) {
    consumer = p;
    tensor = p.inputs[0];
    p = producer.get(tensor);
  }
  if (!p || !isOnnx(p) || !SOFTMAXES.has(p.opType) || !p.inputs[0]) return { graph: g, stripped: undefined };
  const softmax = p;
  const logits = softmax.inputs[0]!;
  // Shapes past a symbolic height or width are unknown; a [N, K] graph output then still tells.
  const declared = consumer ? undefined : g.outputs.find((o) => o.name === output)?.shape;
  const dims = inferKnownShapes(withBatch(g, 1)).get(logits)?.dims ?? (declared?.length === 2 ? [1, 2] : undefined);
  if (!overClasses(softmax, opsetOf(g.opsets, ''), dims)) return { graph: g, stripped: undefined };
  const nodes = g.nodes.map((n): Node => {
    if (consumer) return n === consumer ? { ...n, inputs: [logits, ...n.inputs.slice(1)] } : n;
    return n === softmax ? { ...n, opType: 'Identity', attrs: {} } : n;
  });
  // A softmax still read elsewhere stays for those readers; otherwise it is gone.
  const used = nodes.some((n) => n.inputs.includes(tensor)) || g.outputs.some((o) => o.name === tensor);
  return { graph: { ...g, nodes: used ? nodes : nodes.filter((n) => n !== softmax) }, stripped: softmax.opType };
}
