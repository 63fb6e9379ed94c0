import { attrInt, attrInts, attrTensor, dtypeOfCode } from '../attrs.js';
import { sizeOf, tensor, toNumbers } from '../tensor.js';
import type { Node, Tensor } from '../types.js';
import {
  concat, elementwise, fromNumbers, gather, reshapeDims, reshaped, slice, squeezeDims, unsqueezeDims,
} from './ndarray.js';
import { dequantizeValues } from './quant.js';
import { evalIndexOp, INDEX_OPS } from './index-ops.js';

export interface EvalContext {
  /** Constant value of a tensor, if known. */
  value(name: string): Tensor | undefined;
  /** Static shape of a tensor, if known. */
  shape(name: string): readonly number[] | undefined;
  /** Opset of the default domain. */
  readonly opset: number;
}

/** Ops the evaluator handles; everything else is never folded. */
export const EVALUABLE = new Set([
  'Constant', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice',
  'Add', 'Sub', 'Mul', 'Div', 'Reshape', 'Identity', 'ConstantOfShape', 'DequantizeLinear', 'Equal', 'Where',
]);

/** Optional input `i` as a list of integers: undefined when absent, null when present but not constant. */
export function constInts(n: Node, i: number, ctx: EvalContext): number[] | undefined | null {
  const name = n.inputs[i];
  if (!name) return undefined;
  const v = ctx.value(name);
  return v ? toNumbers(v) : null;
}

/** Axes from the attribute (older opsets) or from input `i` (newer ones). */
export function axesOf(n: Node, i: number, ctx: EvalContext): number[] | undefined | null {
  return attrInts(n, 'axes') ?? constInts(n, i, ctx);
}

function constantValue(n: Node): Tensor | undefined {
  const t = attrTensor(n, 'value');
  if (t) return t;
  const a = n.attrs;
  if (a.value_float?.type === 'float') return fromNumbers('float32', [], [a.value_float.value]);
  if (a.value_floats?.type === 'floats') return fromNumbers('float32', [a.value_floats.value.length], a.value_floats.value);
  if (a.value_int?.type === 'int') return fromNumbers('int64', [], [a.value_int.value]);
  if (a.value_ints?.type === 'ints') return fromNumbers('int64', [a.value_ints.value.length], a.value_ints.value);
  return undefined;
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
};

/** Evaluate a node whose needed inputs are constant; undefined when it cannot be evaluated. */
export function evalNode(n: Node, ctx: EvalContext): Tensor[] | undefined {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return undefined;
  if (n.opType === 'Constant') {
    const c = constantValue(n);
    return c ? [c] : undefined;
  }
  if (n.opType === 'Shape') {
    const s = ctx.shape(n.inputs[0]!);
    if (!s) return undefined;
    const rank = s.length;
    const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const start = clamp(attrInt(n, 'start', 0));
    const end = clamp(attrInt(n, 'end', rank));
    return [fromNumbers('int64', [Math.max(0, end - start)], s.slice(start, end))];
  }
  if (INDEX_OPS.has(n.opType)) {
    const ins = n.inputs.map((i) => (i ? ctx.value(i) : undefined));
    if (ins.some((t, i) => !t && n.inputs[i])) return undefined;
    const t = evalIndexOp(n, ins);
    return t ? [t] : undefined;
  }
  if (!EVALUABLE.has(n.opType)) return undefined;
  const x = n.inputs[0] ? ctx.value(n.inputs[0]) : undefined;
  if (!x) return undefined;
  const rest = n.inputs.slice(1).filter((s) => s !== '');
  if (rest.some((s) => !ctx.value(s)) && n.opType !== 'Squeeze' && n.opType !== 'Unsqueeze' && n.opType !== 'Slice') return undefined;
  const input = (i: number): Tensor | undefined => (n.inputs[i] ? ctx.value(n.inputs[i]) : undefined);
  switch (n.opType) {
    case 'Identity': return [x];
    case 'Gather': return [gather(x, input(1)!, attrInt(n, 'axis', 0))];
    case 'Unsqueeze': {
      const axes = axesOf(n, 1, ctx);
      return axes ? [reshaped(x, unsqueezeDims(x.dims, axes))] : undefined;
    }
    case 'Squeeze': {
      const axes = axesOf(n, 1, ctx);
      return axes === null ? undefined : [reshaped(x, squeezeDims(x.dims, axes))];
    }
    case 'Concat': return [concat(n.inputs.map((s) => ctx.value(s)!), attrInt(n, 'axis', 0))];
    case 'Cast': return [fromNumbers(dtypeOfCode(attrInt(n, 'to', 1), n.name), x.dims, toNumbers(x))];
    case 'Slice': {
      const starts = attrInts(n, 'starts') ?? constInts(n, 1, ctx);
      const ends = attrInts(n, 'ends') ?? constInts(n, 2, ctx);
      const axes = attrInts(n, 'axes') ?? constInts(n, 3, ctx);
      const steps = constInts(n, 4, ctx);
      if (!starts || !ends || axes === null || steps === null) return undefined;
      return [slice(x, { starts, ends, axes, steps })];
    }
    case 'Add': case 'Sub': case 'Mul':
      return [elementwise([x, input(1)!], x.dtype, ARITH[n.opType]!)];
    // torch's expand(-1, …) picks the kept dims with Where(Equal(shape, -1), …).
    case 'Equal': return [elementwise([x, input(1)!], 'bool', (a, b) => (a === b ? 1 : 0))];
    case 'Where': return [elementwise([x, input(1)!, input(2)!], input(1)!.dtype, (c, a, b) => (c ? a : b))];
    case 'Div': {
      const isInt = x.dtype !== 'float32' && x.dtype !== 'float64';
      return [elementwise([x, input(1)!], x.dtype, isInt ? (a, b) => Math.trunc(a / b) : (a, b) => a / b)];
    }
    case 'Reshape': {
      const shape = attrInts(n, 'shape') ?? toNumbers(input(1)!);
      return [reshaped(x, reshapeDims(x.dims, shape, attrInt(n, 'allowzero', 0) === 1))];
    }
    case 'ConstantOfShape': {
      const dims = toNumbers(x);
      if (sizeOf(dims) > 1 << 16) return undefined;
      const v = attrTensor(n, 'value') ?? fromNumbers('float32', [1], [0]);
      return [fromNumbers(v.dtype, dims, new Array<number>(sizeOf(dims)).fill(toNumbers(v)[0] ?? 0))];
    }
    case 'DequantizeLinear': {
      const scale = input(1)!;
      return [tensor('float32', x.dims, dequantizeValues(x, scale, input(2), attrInt(n, 'axis', 1)))];
    }
  }
  return undefined;
}
