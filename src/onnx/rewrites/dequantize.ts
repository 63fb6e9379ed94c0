import type { Graph, Node } from '../types.js';
import { DEQUANT_RULES } from './dequantize-rules.js';
import { pruneDead } from './prune.js';
import { QuantState } from './quant-state.js';
import { upgradeToOpset13 } from './upgrade-opset.js';

const ruleKey = (n: Node): string => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType);

/**
 * Turn a QDQ / QLinear int8 model into a float32 one: weights dequantized, activation
 * quantization replaced by a Clip to its representable range (this keeps ReLU6 and the like).
 * Rounding to the quantization grid is not reproduced.
 */
export function dequantize(g: Graph): Graph {
  const src = upgradeToOpset13(g);
  const q = new QuantState(src);
  for (const n of src.nodes) {
    const rule = DEQUANT_RULES[ruleKey(n)];
    if (rule) rule(n, q);
    else q.keep(n);
  }
  const nodes = renameOutputs(q, src);
  const domains = new Set(nodes.map((n) => (n.domain === 'ai.onnx' ? '' : n.domain)));
  const opsets: Record<string, number> = { '': Math.max(src.opsets[''] ?? 13, 13) };
  for (const d of domains) if (d !== '') opsets[d] = src.opsets[d] ?? 1;
  return pruneDead({ ...q.b.build(g.name), nodes, opsets });
}

/** Graph outputs that became aliases (a removed DequantizeLinear) get their producer renamed back. */
function renameOutputs(q: QuantState, g: Graph): Node[] {
  let nodes = [...q.b.nodes];
  const protectedNames = new Set([...g.inputs.map((v) => v.name), ...g.outputs.map((v) => v.name), ...q.b.initializers.keys()]);
  for (const { name } of g.outputs) {
    if (!q.isAliased(name)) continue;
    const from = q.resolve(name);
    if (protectedNames.has(from)) {
      nodes.push({ opType: 'Identity', domain: '', name: `${name}_identity`, inputs: [from], outputs: [name], attrs: {} });
      continue;
    }
    const swap = (s: string): string => (s === from ? name : s);
    nodes = nodes.map((n) => ({ ...n, inputs: n.inputs.map(swap), outputs: n.outputs.map(swap) }));
  }
  return nodes;
}
