import { subgraphReads } from '../subgraphs.js';
import type { Graph, Node } from '../types.js';

/** Drop nodes whose outputs nothing uses, then initializers nothing reads. */
export function pruneDead(g: Graph): Graph {
  const live = new Set(g.outputs.map((o) => o.name));
  const kept: Node[] = [];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i]!;
    if (!n.outputs.some((o) => o && live.has(o))) continue;
    kept.push(n);
    for (const x of n.inputs) if (x) live.add(x);
    for (const x of subgraphReads(n)) live.add(x);
  }
  kept.reverse();
  const initializers = new Map([...g.initializers].filter(([name]) => live.has(name)));
  return { ...g, nodes: kept, initializers };
}
