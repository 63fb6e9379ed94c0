// onnx-proto is CommonJS; this is its one import site.
import onnxProto from 'onnx-proto';
import type { onnx as OnnxProtoTypes } from 'onnx-proto';

export const onnx = onnxProto.onnx;
/** The generated message types, e.g. `P.ITensorProto`. */
export type { OnnxProtoTypes as P };
export type LongLike = number | { toNumber(): number };

export function num(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}
