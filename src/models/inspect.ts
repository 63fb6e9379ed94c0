import { buildGradient } from '../autodiff/index.js';
import { ruleFor } from '../autodiff/registry.js';
import { GraphBuilder } from '../onnx/builder.js';
import { prepareGraph, withInputShape } from '../onnx/rewrites/index.js';
import { inputShape } from './spec.js';
import type { Graph } from '../onnx/types.js';
import type { Classifier } from './classifier.js';

export interface ModelReport {
  name: string;
  source: string;
  format: Classifier['format'];
  strippedSoftmax: boolean;
  outputKind: Classifier['outputKind'];
  /** A TF.js model's layer classes or TF ops as stored (before translation to ONNX). */
  sourceOps: Record<string, number> | undefined;
  inputs: { name: string; dtype: string; shape: (number | string)[] }[];
  outputs: { name: string; dtype: string; shape: (number | string)[] }[];
  opsets: Record<string, number>;
  /** Op counts of the file as stored. */
  ops: Record<string, number>;
  /** Op counts after load-time rewrites (dequantize, folding), i.e. what is differentiated. */
  preparedOps: Record<string, number>;
  spec: Classifier['spec'];
  numClasses: number;
  labels: string[] | undefined;
  /** Without a model card: what was read off the graph and what was assumed. */
  noCard: Classifier['noCard'];
  /** Ops without a gradient rule, and the error building the gradient gave, if any. */
  unsupported: string[];
  gradientError: string | undefined;
}

function countOps(g: Graph): Record<string, number> {
  const ops: Record<string, number> = {};
  for (const n of g.nodes) {
    const k = n.domain && n.domain !== 'ai.onnx' ? `${n.domain}::${n.opType}` : n.opType;
    ops[k] = (ops[k] ?? 0) + 1;
  }
  return ops;
}

/** Everything `neuromask inspect` shows, including whether the model can be explained. */
export function inspectClassifier(c: Classifier): ModelReport {
  let prepared: Graph | undefined;
  let gradientError: string | undefined;
  try {
    // At the card's input size, as methods run it: a dynamic height and width become static.
    prepared = prepareGraph(withInputShape(c.graph, c.inputName, inputShape(c.spec, 1)), { batch: 1 });
    const b = new GraphBuilder(prepared);
    const loss = b.add('ReduceSum', [c.outputName], { keepdims: 0 });
    buildGradient(b.build(), { of: loss, wrt: [c.inputName] });
  } catch (e) {
    gradientError = e instanceof Error ? e.message : String(e);
  }
  const preparedOps = prepared ? countOps(prepared) : {};
  const unsupported = Object.keys(prepared ? preparedOps : countOps(c.graph)).filter((k) => {
    const [domain, op] = k.includes('::') ? (k.split('::') as [string, string]) : ['', k];
    return !ruleFor(op, domain);
  });
  const vi = (v: Graph['inputs'][number]): ModelReport['inputs'][number] => ({ name: v.name, dtype: v.dtype, shape: [...v.shape] });
  return {
    name: c.name,
    source: c.source,
    format: c.format,
    strippedSoftmax: c.strippedSoftmax,
    outputKind: c.outputKind,
    sourceOps: c.sourceOps,
    inputs: c.graph.inputs.map(vi),
    outputs: c.graph.outputs.map(vi),
    opsets: { ...c.graph.opsets },
    ops: countOps(c.graph),
    preparedOps,
    spec: c.spec,
    numClasses: c.numClasses,
    labels: c.labels,
    noCard: c.noCard,
    unsupported,
    gradientError,
  };
}
