import type { Attr, Graph, Node, Tensor, ValueInfo } from './types.js';
import { floatTensor, int64Tensor } from './tensor.js';

type AttrValue = number | readonly number[] | string | Tensor | Attr;

/** Attribute shorthand: integers become INT(S), `{f: x}`-free floats must be passed as Attr. */
function toAttr(v: AttrValue): Attr {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'float', value: v };
  if (Array.isArray(v)) {
    const arr = v as readonly number[];
    return arr.every(Number.isInteger) ? { type: 'ints', value: arr } : { type: 'floats', value: arr };
  }
  if ('type' in (v as object) && 'value' in (v as object)) return v as Attr;
  return { type: 'tensor', value: v as Tensor };
}

export const float = (value: number): Attr => ({ type: 'float', value });
export const floats = (value: readonly number[]): Attr => ({ type: 'floats', value });

/**
 * Appends nodes and constants to a graph with fresh, unique names.
 * Used by the rewrites, the autodiff and tests that build small graphs.
 */
export class GraphBuilder {
  readonly nodes: Node[];
  readonly initializers: Map<string, Tensor>;
  readonly inputs: ValueInfo[];
  readonly outputs: ValueInfo[];
  readonly opsets: Record<string, number>;
  private readonly used = new Set<string>();
  private counter = 0;

  constructor(base?: Graph, private readonly prefix = '') {
    this.nodes = [...(base?.nodes ?? [])];
    this.initializers = new Map(base?.initializers ?? []);
    this.inputs = [...(base?.inputs ?? [])];
    this.outputs = [...(base?.outputs ?? [])];
    this.opsets = { '': 17, ...(base?.opsets ?? {}) };
    for (const n of this.nodes) {
      this.used.add(n.name);
      for (const o of n.outputs) this.used.add(o);
    }
    for (const k of this.initializers.keys()) this.used.add(k);
    for (const v of this.inputs) this.used.add(v.name);
  }

  /** A name not used yet in this graph. */
  fresh(hint: string): string {
    let name = `${this.prefix}${hint}`;
    while (this.used.has(name)) name = `${this.prefix}${hint}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: ValueInfo['dtype'], shape: ValueInfo['shape']): string {
    this.used.add(name);
    this.inputs.push({ name, dtype, shape });
    return name;
  }

  output(name: string, dtype: ValueInfo['dtype'] = 'float32', shape: ValueInfo['shape'] = []): void {
    this.outputs.push({ name, dtype, shape });
  }

  constant(t: Tensor, hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.set(name, t);
    return name;
  }

  floats(dims: readonly number[], values: ArrayLike<number>, hint = 'const'): string {
    return this.constant(floatTensor(dims, values), hint);
  }

  scalar(v: number, hint = 'scalar'): string {
    return this.constant(floatTensor([], [v]), hint);
  }

  ints(values: readonly number[], hint = 'ints'): string {
    return this.constant(int64Tensor([values.length], values), hint);
  }

  /** Add a node; returns its output names (count given by `nOut`). */
  addMulti(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    nOut = 1,
    domain = '',
  ): string[] {
    const outs = Array.from({ length: nOut }, () => this.fresh(opType.toLowerCase()));
    this.push(opType, inputs, outs, attrs, domain);
    return outs;
  }

  add(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.addMulti(opType, inputs, attrs, 1, domain)[0]!;
  }

  /** Add a node with given output names. */
  push(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, domain = ''): void {
    for (const o of outputs) this.used.add(o);
    const a: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) a[k] = toAttr(v);
    this.nodes.push({ opType, domain, name: this.fresh(`n_${opType}`), inputs: [...inputs], outputs: [...outputs], attrs: a });
  }

  /**
   * A builder for a graph that wraps `model`: its names are reserved, its inputs and outputs
   * dropped, and its nodes held back so the caller can add what feeds the model first, then
   * call `appendModel()`.
   */
  static aroundModel(model: Graph, prefix = ''): { b: GraphBuilder; appendModel: () => void } {
    const b = new GraphBuilder(model, prefix);
    const nodes = b.nodes.splice(0);
    b.inputs.splice(0);
    b.outputs.splice(0);
    return { b, appendModel: () => void b.nodes.push(...nodes) };
  }

  build(name = 'graph'): Graph {
    return {
      name,
      nodes: [...this.nodes],
      initializers: new Map(this.initializers),
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      opsets: { ...this.opsets },
    };
  }
}
