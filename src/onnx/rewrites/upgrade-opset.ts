import { attrFloat, attrInt, attrInts, attrString, opsetOf } from '../attrs.js';
import { GraphBuilder } from '../builder.js';
import { conformNode } from '../opset-form.js';
import { floatTensor } from '../tensor.js';
import type { Attr, Graph, Node } from '../types.js';

function without(attrs: Readonly<Record<string, Attr>>, ...names: string[]): Record<string, Attr> {
  const out = { ...attrs };
  for (const k of names) delete out[k];
  return out;
}

/**
 * Rewrite the ops whose signature changed before opset 13 (attributes that became inputs,
 * Softmax's 2-D coercion) and declare ai.onnx 13, so later rewrites can emit opset-13 nodes.
 */
export function upgradeToOpset13(g: Graph): Graph {
  const from = opsetOf(g.opsets, '');
  if (from >= 13) return g;
  const b = new GraphBuilder({ ...g, nodes: [] });
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') b.nodes.push(n);
    else upgradeNode(b, n, from);
  }
  return { ...b.build(g.name), opsets: { ...g.opsets, '': 13 } };
}

function upgradeNode(b: GraphBuilder, n: Node, from: number): void {
  switch (n.opType) {
    case 'Squeeze': case 'Unsqueeze': case 'ReduceSum': case 'Split': return void b.nodes.push(conformNode(b, n, 13));
    case 'Clip':
      if (from >= 11) return void b.nodes.push(n);
      b.nodes.push({
        ...n,
        inputs: [n.inputs[0]!, b.constant(floatTensor([], [attrFloat(n, 'min', -3.4028234663852886e38)])), b.constant(floatTensor([], [attrFloat(n, 'max', 3.4028234663852886e38)]))],
        attrs: without(n.attrs, 'min', 'max'),
      });
      return;
    case 'Pad':
      if (from >= 11) return void b.nodes.push(n);
      b.nodes.push({
        ...n,
        inputs: [n.inputs[0]!, b.ints(attrInts(n, 'pads') ?? []), b.constant(floatTensor([], [attrFloat(n, 'value', 0)]))],
        attrs: without(n.attrs, 'pads', 'value'),
      });
      return;
    case 'Slice':
      if (from >= 10) return void b.nodes.push(n);
      b.nodes.push({
        ...n,
        inputs: [n.inputs[0]!, b.ints(attrInts(n, 'starts') ?? []), b.ints(attrInts(n, 'ends') ?? []), ...(attrInts(n, 'axes') ? [b.ints(attrInts(n, 'axes')!)] : [])],
        attrs: {},
      });
      return;
    case 'Upsample': case 'Resize': return void b.nodes.push(n.opType === 'Resize' && from >= 11 ? n : asResize11(b, n));
    case 'Dropout':
      // Before 12 `ratio` is an attribute, which later opsets reject; at inference Dropout is the identity.
      if (from >= 12) return void b.nodes.push(n);
      b.push('Identity', [n.inputs[0]!], [n.outputs[0]!]);
      return;
    case 'BatchNormalization': return void b.nodes.push({ ...n, attrs: without(n.attrs, 'spatial', 'is_test', 'consumed_inputs', 'momentum') });
    case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
      // Before 13 these coerce the input to 2-D at `axis`; reproduce that exactly.
      const x = n.inputs[0]!;
      const flat = b.add('Flatten', [x], { axis: attrInt(n, 'axis', 1) });
      const sm = b.add(n.opType, [flat], { axis: 1 });
      b.push('Reshape', [sm, b.add('Shape', [x])], n.outputs);
      return;
    }
    default: b.nodes.push(n);
  }
}

/**
 * Upsample (≤ 9) and Resize-10 sample with `x / scale` and round down, which opset 11's Resize
 * spells as asymmetric coordinates with nearest_mode floor (as ONNX's own version converter does).
 */
function asResize11(b: GraphBuilder, n: Node): Node {
  const attrScales = n.attrs.scales;
  const scales = attrScales?.type === 'floats' ? b.constant(floatTensor([attrScales.value.length], attrScales.value), `${n.name}_scales`) : n.inputs[1]!;
  const mode = attrString(n, 'mode', 'nearest') === 'nearest' ? 'nearest' : 'linear';
  return {
    ...n,
    opType: 'Resize',
    inputs: [n.inputs[0]!, '', scales],
    attrs: {
      mode: { type: 'string', value: mode },
      coordinate_transformation_mode: { type: 'string', value: 'asymmetric' },
      nearest_mode: { type: 'string', value: 'floor' },
    },
  };
}
