import { opsetOf } from '../attrs.js';
import { evalNode, type EvalContext } from '../eval/evaluate.js';
import { inferKnownShapes } from '../shapes.js';
import type { Graph, Node, Tensor } from '../types.js';
import { pruneDead } from './prune.js';

/**
 * Replace nodes computable from initializers (and Shape of statically shaped tensors) by
 * initializers; drops dead nodes and unused initializers.
 */
export function constantFold(g: Graph): Graph {
  const values = new Map<string, Tensor>(g.initializers);
  const shapes = inferKnownShapes(g);
  const ctx: EvalContext = {
    opset: opsetOf(g.opsets, ''),
    value: (name) => values.get(name),
    shape: (name) => shapes.get(name)?.dims,
  };
  const outputs = new Set(g.outputs.map((o) => o.name));
  const nodes: Node[] = [];
  for (const n of g.nodes) {
    const folded = n.outputs.some((o) => outputs.has(o)) ? undefined : tryEval(n, ctx);
    if (!folded) {
      nodes.push(n);
      continue;
    }
    folded.forEach((t, i) => {
      const o = n.outputs[i];
      if (o) values.set(o, t);
    });
  }
  return pruneDead({ ...g, nodes, initializers: values });
}

function tryEval(n: Node, ctx: EvalContext): Tensor[] | undefined {
  try {
    return evalNode(n, ctx);
  } catch {
    // A node the evaluator rejects (odd attributes) is simply left for the runtime.
    return undefined;
  }
}
