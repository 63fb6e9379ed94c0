import { attrInt, attrInts, attrString } from '../attrs.js';
import type { Node } from '../types.js';
import type { ShapeContext, ShapeInfo, ShapeRule } from './context.js';

interface Window { kernel: number[]; strides: number[]; dilations: number[]; pads: number[]; autoPad: string }

function windowOf(n: Node, spatial: number, kernel: number[]): Window {
  return {
    kernel,
    strides: attrInts(n, 'strides') ?? new Array<number>(spatial).fill(1),
    dilations: attrInts(n, 'dilations') ?? new Array<number>(spatial).fill(1),
    pads: attrInts(n, 'pads') ?? new Array<number>(2 * spatial).fill(0),
    autoPad: attrString(n, 'auto_pad', 'NOTSET'),
  };
}

/** Output spatial sizes of a sliding window (Conv, pooling). */
function slide(inSpatial: readonly number[], w: Window, ceilMode: boolean): number[] {
  const r = inSpatial.length;
  return inSpatial.map((d, i) => {
    const s = w.strides[i]!;
    const dk = (w.kernel[i]! - 1) * w.dilations[i]! + 1;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(d / s);
    if (w.autoPad === 'VALID') return Math.ceil((d - dk + 1) / s);
    const pb = w.pads[i]!;
    const span = d + pb + w.pads[i + r]! - dk;
    if (!ceilMode) return Math.floor(span / s) + 1;
    let out = Math.ceil(span / s) + 1;
    // The last window must start inside the input or its leading padding.
    if ((out - 1) * s >= d + pb) out--;
    return out;
  });
}

const conv: ShapeRule = (n, c) => {
  const x = c.input(0);
  const w = c.input(1);
  const kernel = attrInts(n, 'kernel_shape') ?? w.dims.slice(2);
  const sp = slide(x.dims.slice(2), windowOf(n, kernel.length, kernel), false);
  return [{ dtype: x.dtype, dims: [x.dims[0]!, w.dims[0]!, ...sp] }];
};

const convTranspose: ShapeRule = (n, c) => {
  const x = c.input(0);
  const w = c.input(1);
  const kernel = attrInts(n, 'kernel_shape') ?? w.dims.slice(2);
  const r = kernel.length;
  const win = windowOf(n, r, kernel);
  const outPad = attrInts(n, 'output_padding') ?? new Array<number>(r).fill(0);
  const outChannels = w.dims[1]! * attrInt(n, 'group', 1);
  const explicit = attrInts(n, 'output_shape');
  const sp = explicit
    ? explicit.slice(-r)
    : x.dims.slice(2).map((d, i) => {
        const s = win.strides[i]!;
        if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return d * s;
        const dk = (kernel[i]! - 1) * win.dilations[i]! + 1;
        const pads = win.autoPad === 'VALID' ? 0 : win.pads[i]! + win.pads[i + r]!;
        return s * (d - 1) + outPad[i]! + dk - pads;
      });
  return [{ dtype: x.dtype, dims: [x.dims[0]!, outChannels, ...sp] }];
};

function pool(withDilation: boolean): ShapeRule {
  return (n, c) => {
    const x = c.input(0);
    const kernel = attrInts(n, 'kernel_shape');
    if (!kernel) throw new Error(`node "${n.name}": ${n.opType} needs kernel_shape`);
    const win = windowOf(n, kernel.length, kernel);
    if (!withDilation) win.dilations = kernel.map(() => 1);
    const dims = [x.dims[0]!, x.dims[1]!, ...slide(x.dims.slice(2), win, attrInt(n, 'ceil_mode', 0) === 1)];
    const out: ShapeInfo[] = [{ dtype: x.dtype, dims }];
    if (n.outputs.length > 1 && n.outputs[1]) out.push({ dtype: 'int64', dims: [...dims] });
    return out;
  };
}

const globalPool: ShapeRule = (_n, c: ShapeContext) => {
  const x = c.input(0);
  return [{ dtype: x.dtype, dims: [x.dims[0]!, x.dims[1]!, ...x.dims.slice(2).map(() => 1)] }];
};

export const convRules: Record<string, ShapeRule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool(true),
  AveragePool: pool(false),
  LpPool: pool(false),
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
};
