import { attrInts, opsetOf } from './attrs.js';
import { GraphBuilder } from './builder.js';
import type { Attr, Graph, Node } from './types.js';

interface Moved {
  attr: string;
  input: number;
  /** First ai.onnx opset that takes it as an input and rejects the attribute. */
  since: number;
}

const AXES_13: Moved = { attr: 'axes', input: 1, since: 13 };
const AXES_18: Moved = { attr: 'axes', input: 1, since: 18 };

/** Attributes that became inputs. */
const MOVED: Readonly<Record<string, Moved>> = {
  Squeeze: AXES_13,
  Unsqueeze: AXES_13,
  ReduceSum: AXES_13,
  Split: { attr: 'split', input: 1, since: 13 },
  ReduceMean: AXES_18,
  ReduceMax: AXES_18,
  ReduceMin: AXES_18,
  ReduceProd: AXES_18,
  ReduceL1: AXES_18,
  ReduceL2: AXES_18,
  ReduceLogSum: AXES_18,
  ReduceLogSumExp: AXES_18,
  ReduceSumSquare: AXES_18,
};

function without(attrs: Readonly<Record<string, Attr>>, name: string): Record<string, Attr> {
  const out = { ...attrs };
  delete out[name];
  return out;
}

function needsMove(n: Node, opset: number): Moved | undefined {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return undefined;
  const m = MOVED[n.opType];
  return m && opset >= m.since && n.attrs[m.attr] ? m : undefined;
}

/**
 * `n` in the form ai.onnx `opset` requires: an attribute that became an input at or before
 * `opset` moves to a constant input. Code that builds nodes may use the attribute form
 * throughout; this is the one place it is made version-correct.
 */
export function conformNode(b: GraphBuilder, n: Node, opset: number): Node {
  const m = needsMove(n, opset);
  if (!m) return n;
  const inputs = [...n.inputs];
  while (inputs.length < m.input) inputs.push('');
  inputs[m.input] = b.ints(attrInts(n, m.attr) ?? [], `${n.name}_${m.attr}`);
  return { ...n, inputs, attrs: without(n.attrs, m.attr) };
}

/** The graph with every node in the form its declared ai.onnx opset requires (unchanged if already so). */
export function conformToOpset(g: Graph): Graph {
  const opset = opsetOf(g.opsets, '');
  if (!g.nodes.some((n) => needsMove(n, opset))) return g;
  const b = new GraphBuilder(g); // reserves every name in use, so new constants cannot clash
  const nodes = g.nodes.map((n) => conformNode(b, n, opset));
  return { ...g, nodes, initializers: b.initializers };
}
