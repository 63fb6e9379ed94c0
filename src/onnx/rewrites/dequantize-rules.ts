import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { attrInt } from '../attrs.js';
import { dequantizeValues } from '../eval/quant.js';
import { tensor, toNumbers } from '../tensor.js';
import type { Node } from '../types.js';
import type { QuantState } from './quant-state.js';

export type DequantRule = (n: Node, q: QuantState) => void;

const out0 = (n: Node): string => n.outputs[0]!;

const dequantizeLinear: DequantRule = (n, q) => {
  const x = n.inputs[0]!;
  const t = q.b.initializers.get(x);
  if (t && t.dtype !== 'float32') {
    const vals = dequantizeValues(t, q.constant(n, 1), q.optionalConstant(n, 2), attrInt(n, 'axis', 1));
    q.b.initializers.set(out0(n), tensor('float32', t.dims, vals));
  } else {
    q.setAlias(out0(n), x);
  }
};

/** Bias int32 → float with scale x_scale * w_scale (per output channel when w_scale is 1-D). */
function biasOf(n: Node, q: QuantState): string {
  const bias = q.constant(n, 8);
  const xs = toNumbers(q.constant(n, 1))[0]!;
  const ws = toNumbers(q.constant(n, 4));
  const vals = toNumbers(bias).map((v, c) => v * xs * (ws.length === 1 ? ws[0]! : ws[c]!));
  return q.b.constant(tensor('float32', bias.dims, Float32Array.from(vals)), `${n.inputs[8]}_dequantized`);
}

const qlinearConv: DequantRule = (n, q) => {
  const w = q.operand(n, 3, 4, 0);
  const inputs = [q.resolve(n.inputs[0]!), w, ...(n.inputs[8] ? [biasOf(n, q)] : [])];
  const y = q.b.add('Conv', inputs, { ...n.attrs });
  q.clipTo(n, y, 6, out0(n));
};

const qlinearMatMul: DequantRule = (n, q) => {
  const y = q.b.add('MatMul', [q.operand(n, 0, 1, -2), q.operand(n, 3, 4, -1)]);
  q.clipTo(n, y, 6, out0(n));
};

function binary(op: string): DequantRule {
  return (n, q) => {
    const y = q.b.add(op, [q.operand(n, 0, 1, 0), q.operand(n, 3, 4, 0)]);
    q.clipTo(n, y, 6, out0(n));
  };
}

const qlinearGlobalAveragePool: DequantRule = (n, q) => {
  if (attrInt(n, 'channels_last', 0) !== 0) {
    throw new UnsupportedOpError(n.opType, n.name, { domain: n.domain, detail: 'channels_last=1 is not supported' });
  }
  const y = q.b.add('GlobalAveragePool', [q.resolve(n.inputs[0]!)]);
  q.clipTo(n, y, 3, out0(n));
};

/** Rules by `domain::opType` ('' domain written without prefix). */
export const DEQUANT_RULES: Readonly<Record<string, DequantRule>> = {
  QuantizeLinear: (n, q) => q.clipTo(n, q.resolve(n.inputs[0]!), 1, out0(n)),
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
  'com.microsoft::QLinearAdd': binary('Add'),
  'com.microsoft::QLinearMul': binary('Mul'),
  'com.microsoft::QLinearGlobalAveragePool': qlinearGlobalAveragePool,
};
