import { DTYPE_OF_PROTO } from './read.js';
import type { DType, Node, Tensor } from './types.js';

export function attrInt(n: Node, name: string, dflt: number): number;
export function attrInt(n: Node, name: string): number | undefined;
export function attrInt(n: Node, name: string, dflt?: number): number | undefined {
  const a = n.attrs[name];
  return a && a.type === 'int' ? a.value : dflt;
}

export function attrFloat(n: Node, name: string, dflt: number): number {
  const a = n.attrs[name];
  return a && (a.type === 'float' || a.type === 'int') ? a.value : dflt;
}

export function attrInts(n: Node, name: string): number[] | undefined {
  const a = n.attrs[name];
  if (!a) return undefined;
  if (a.type === 'ints') return [...a.value];
  if (a.type === 'int') return [a.value];
  return undefined;
}

export function attrString(n: Node, name: string, dflt: string): string {
  const a = n.attrs[name];
  return a && a.type === 'string' ? a.value : dflt;
}

export function attrTensor(n: Node, name: string): Tensor | undefined {
  const a = n.attrs[name];
  return a && a.type === 'tensor' ? a.value : undefined;
}

/** The DType named by an ONNX TensorProto.DataType code (e.g. Cast's `to`). */
export function dtypeOfCode(code: number, where: string): DType {
  const d = DTYPE_OF_PROTO[code];
  if (!d) throw new Error(`${where}: unsupported element type code ${code}`);
  return d;
}

export function codeOfDtype(d: DType): number {
  for (const [k, v] of Object.entries(DTYPE_OF_PROTO)) if (v === d) return Number(k);
  throw new Error(`no ONNX code for ${d}`);
}

/** Opset of the node's domain in the graph ('' = ai.onnx). */
export function opsetOf(opsets: Readonly<Record<string, number>>, domain: string): number {
  return opsets[domain === 'ai.onnx' ? '' : domain] ?? 1;
}
