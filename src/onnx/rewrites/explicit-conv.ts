import type { Attr, Graph, Node } from '../types.js';
import { inferShapes } from '../shapes.js';

const CONVS = new Set(['Conv', 'ConvTranspose']);
const ints = (value: readonly number[]): Attr => ({ type: 'ints', value });

/**
 * Every Conv and ConvTranspose with `kernel_shape` and `dilations` written out (ONNX's defaults:
 * the weight's spatial dims, all 1s). ORT's CPU and wasm providers infer them; onnxruntime-web's
 * JSEP WebGPU provider rejects a Conv without `dilations`. Applied to each graph an engine hands
 * to ONNX Runtime, so model convs, rewrites and gradient rules are all covered. Attribute-only.
 */
export function explicitConvAttrs(g: Graph): Graph {
  const todo = g.nodes.filter((n) => CONVS.has(n.opType) && n.domain === '' && (!n.attrs['kernel_shape'] || !n.attrs['dilations']));
  if (todo.length === 0) return g;
  let shapes: ReturnType<typeof inferShapes> | undefined;
  const kernelOf = (n: Node): readonly number[] | undefined => {
    const w = n.inputs[1]!;
    const dims = g.initializers.get(w)?.dims ?? (shapes ??= inferShapes(g)).get(w)?.dims;
    return dims && dims.every((d) => typeof d === 'number') ? (dims as number[]).slice(2) : undefined;
  };
  const nodes = g.nodes.map((n) => {
    if (!todo.includes(n)) return n;
    const ks = n.attrs['kernel_shape'];
    const kernel = ks?.type === 'ints' ? ks.value : kernelOf(n);
    if (!kernel) return n; // a weight of unknown shape: left to ORT, as before
    const attrs: Record<string, Attr> = { ...n.attrs, kernel_shape: ints(kernel) };
    attrs['dilations'] ??= ints(kernel.map(() => 1));
    return { ...n, attrs };
  });
  return { ...g, nodes };
}
