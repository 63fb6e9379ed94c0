import { onnx, type P } from './proto.js';
import type { Node } from './types.js';

function namesIn(g: P.IGraphProto, out: Set<string>): void {
  for (const n of g.node ?? []) {
    for (const x of n.input ?? []) if (x) out.add(x);
    for (const a of n.attribute ?? []) {
      if (a.g) namesIn(a.g, out);
      for (const sub of a.graphs ?? []) namesIn(sub, out);
    }
  }
}

/**
 * Tensors a node's subgraphs (a Loop's or If's body, kept as opaque attributes) read. ONNX lets
 * a body read outer tensors by name without listing them as inputs, so they are live too.
 * The set may hold the bodies' own names as well; callers only test outer names against it.
 */
export function subgraphReads(n: Node): Set<string> {
  const out = new Set<string>();
  for (const a of Object.values(n.attrs)) {
    if (a.type !== 'opaque' || (a.kind !== 'graph' && a.kind !== 'graphs')) continue;
    const attr = onnx.AttributeProto.decode(a.value);
    if (attr.g) namesIn(attr.g, out);
    for (const sub of attr.graphs ?? []) namesIn(sub, out);
  }
  return out;
}
