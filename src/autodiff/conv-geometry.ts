import { attrInt, attrInts, attrString } from '../onnx/attrs.js';
import type { Node } from '../onnx/types.js';

export interface ConvGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right], explicit even when the node used auto_pad. */
  pads: [number, number, number, number];
  group: number;
}

function pair(v: readonly number[] | undefined, d: number): [number, number] {
  return [v?.[0] ?? d, v?.[1] ?? d];
}

/** Explicit 2-D geometry of a Conv/ConvTranspose/pool node, resolving auto_pad with the known shapes. */
export function convGeometry(
  n: Node,
  kernel: readonly number[],
  inSpatial: readonly number[],
  outSpatial: readonly number[],
): ConvGeometry {
  const k = pair(attrInts(n, 'kernel_shape') ?? kernel, 1);
  const s = pair(attrInts(n, 'strides'), 1);
  const d = pair(attrInts(n, 'dilations'), 1);
  const autoPad = attrString(n, 'auto_pad', 'NOTSET');
  let pads: [number, number, number, number];
  if (autoPad === 'NOTSET') {
    const p = attrInts(n, 'pads') ?? [0, 0, 0, 0];
    pads = [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else {
    const total = [0, 1].map((i) =>
      Math.max(0, (outSpatial[i]! - 1) * s[i]! + d[i]! * (k[i]! - 1) + 1 - inSpatial[i]!),
    ) as [number, number];
    const lower = autoPad === 'SAME_LOWER';
    const begin = total.map((t) => (lower ? Math.ceil(t / 2) : Math.floor(t / 2))) as [number, number];
    pads = [begin[0], begin[1], total[0] - begin[0], total[1] - begin[1]];
  }
  return { kernel: k, strides: s, dilations: d, pads, group: attrInt(n, 'group', 1) };
}
