import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { GraphBuilder } from '../builder.js';
import { qRange, dequantizeValues } from '../eval/quant.js';
import { floatTensor, tensor, toNumbers } from '../tensor.js';
import type { Graph, Node, Tensor } from '../types.js';

/** Bookkeeping shared by the dequantization rules: the graph being built and tensor renames. */
export class QuantState {
  readonly b: GraphBuilder;
  private readonly alias = new Map<string, string>();

  constructor(private readonly src: Graph) {
    this.b = new GraphBuilder({ ...src, nodes: [] });
  }

  /** The name now holding the (float) value of an original tensor. */
  resolve(name: string): string {
    return name ? this.alias.get(name) ?? name : name;
  }

  setAlias(from: string, to: string): void {
    this.alias.set(from, this.resolve(to));
  }

  isAliased(name: string): boolean {
    return this.alias.has(name);
  }

  constant(n: Node, i: number): Tensor {
    const name = n.inputs[i];
    const t = name ? this.b.initializers.get(name) ?? this.src.initializers.get(name) : undefined;
    if (!t) throw new UnsupportedOpError(n.opType, n.name, { ...(n.domain ? { domain: n.domain } : {}), detail: `input ${i} (scale/zero point) must be a constant` });
    return t;
  }

  optionalConstant(n: Node, i: number): Tensor | undefined {
    return n.inputs[i] ? this.constant(n, i) : undefined;
  }

  /**
   * Input `q` of node n as a float tensor name: integer initializers are dequantized with the
   * scale/zero point at inputs `s`/`s + 1`, activations are already float after earlier rules.
   */
  operand(n: Node, q: number, s: number, axis: number): string {
    const name = n.inputs[q]!;
    const t = this.src.initializers.get(name);
    if (!t || t.dtype === 'float32') return this.resolve(name);
    const vals = dequantizeValues(t, this.constant(n, s), this.optionalConstant(n, s + 1), axis);
    return this.b.constant(tensor('float32', t.dims, vals), `${name}_dequantized`);
  }

  /** Clip `x` into what quantization with scale/zero point at inputs `s`/`s + 1` can represent. */
  clipTo(n: Node, x: string, s: number, out: string): void {
    const scale = toNumbers(this.constant(n, s));
    const zpT = this.optionalConstant(n, s + 1);
    const zp = zpT ? toNumbers(zpT) : [0];
    if (scale.length !== 1 || zp.length !== 1) {
      throw new UnsupportedOpError(n.opType, n.name, { detail: 'per-axis quantization of activations is not supported' });
    }
    const [qmin, qmax] = qRange(zpT);
    const lo = this.b.constant(floatTensor([], [(qmin - zp[0]!) * scale[0]!]), `${out}_min`);
    const hi = this.b.constant(floatTensor([], [(qmax - zp[0]!) * scale[0]!]), `${out}_max`);
    this.b.push('Clip', [x, lo, hi], [out]);
  }

  /** Append n with inputs resolved through the renames. */
  keep(n: Node): void {
    this.b.nodes.push({ ...n, inputs: n.inputs.map((i) => this.resolve(i)) });
  }
}
