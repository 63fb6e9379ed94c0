import { ModelFormatError } from '../../errors/model-format-error.js';
import { ImportContext, type Value } from '../context.js';
import type { TfjsImport } from '../import-result.js';
import { blockedError, type TfjsSurvey } from '../blocked.js';
import type { TfjsArtifacts, TfjsModelJson } from '../types.js';
import { decodeWeights } from '../weights.js';
import { attrShape, type TfNode } from './attrs.js';
import { OP_CONVERTERS, type Operand } from './converters.js';

interface Signature {
  inputs?: Record<string, { name?: string; tensorShape?: { dim?: { size?: string | number }[] } }>;
  outputs?: Record<string, { name?: string }>;
}

const STRUCTURAL = new Set(['Placeholder', 'Const', 'NoOp']);

/** 'node:0' and 'node' name the same tensor; '^node' is a control edge. */
const tensorKey = (ref: string): string => (ref.includes(':') ? ref.replace(/:0$/, '') : ref);
const nodeOf = (ref: string): string => ref.replace(/^\^/, '').replace(/:\d+$/, '');

function signatureOf(a: TfjsArtifacts): Signature | undefined {
  const s = (a.json.signature ?? a.json.userDefinedMetadata?.['signature']) as Signature | undefined;
  return s && typeof s === 'object' ? s : undefined;
}

/** Nodes in dependency order (the JSON need not be). */
function ordered(nodes: readonly TfNode[], source: string): TfNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const done = new Set<string>();
  const out: TfNode[] = [];
  const visiting = new Set<string>();
  const visit = (n: TfNode): void => {
    if (done.has(n.name)) return;
    if (visiting.has(n.name)) throw new ModelFormatError(`graph has a cycle through node '${n.name}' (control flow is not supported)`, { source });
    visiting.add(n.name);
    for (const r of n.input ?? []) {
      const dep = byName.get(nodeOf(r));
      if (dep) visit(dep);
    }
    visiting.delete(n.name);
    done.add(n.name);
    out.push(n);
  };
  nodes.forEach(visit);
  return out;
}

/** What a Graph model holds and which of its ops have no converter, without converting it. */
export function surveyGraphModel(json: TfjsModelJson): TfjsSurvey {
  const nodes = (json.modelTopology['node'] ?? []) as TfNode[];
  const sourceOps: Record<string, number> = {};
  for (const n of nodes) sourceOps[n.op] = (sourceOps[n.op] ?? 0) + 1;
  const missing = nodes.filter((n) => !STRUCTURAL.has(n.op) && !OP_CONVERTERS[n.op]).map((n) => ({ type: n.op, name: n.name }));
  const ph = nodes.find((n) => n.op === 'Placeholder');
  return { format: 'graph', inputShape: ph ? attrShape(ph) : undefined, sourceOps, missing };
}

/** A TF.js Graph model (converted TF GraphDef) → an ONNX graph with an NHWC input and a logits output. */
export function importGraphModel(a: TfjsArtifacts, name = 'tfjs-graph'): TfjsImport {
  const nodes = a.json.modelTopology['node'] as TfNode[] | undefined;
  if (!Array.isArray(nodes)) throw new ModelFormatError('graph model has no modelTopology.node list', { source: a.source });
  const weights = decodeWeights(a);
  const ctx = new ImportContext(weights, a.source);
  const sig = signatureOf(a);
  const placeholders = nodes.filter((n) => n.op === 'Placeholder');
  if (placeholders.length !== 1) {
    throw new ModelFormatError(`graph has ${placeholders.length} Placeholder inputs (${placeholders.map((p) => p.name).join(', ')}); neuromask explains single-input classifiers`, { source: a.source });
  }
  const ph = placeholders[0]!;
  const sigIn = Object.values(sig?.inputs ?? {})[0];
  const shape = attrShape(ph) ?? sigIn?.tensorShape?.dim?.map((d) => (Number(d.size) < 0 ? null : Number(d.size)));
  if (!shape) throw new ModelFormatError(`input '${ph.name}' has no shape`, { source: a.source });

  const blocked = blockedError(surveyGraphModel(a.json), Object.keys(OP_CONVERTERS));
  if (blocked) throw blocked;
  const values = new Map<string, Operand>();
  const consumed = new Set<string>();
  for (const n of nodes) for (const r of n.input ?? []) if (!r.startsWith('^')) consumed.add(nodeOf(r));

  for (const n of ordered(nodes, a.source)) {
    if (n.op === 'Placeholder') {
      values.set(n.name, { kind: 'value', value: ctx.input('input', shape) });
      continue;
    }
    if (n.op === 'Const') {
      const t = weights.get(n.name);
      if (t) values.set(n.name, { kind: 'const', tensor: t });
      continue;
    }
    if (n.op === 'NoOp') continue;
    const f = OP_CONVERTERS[n.op]!;
    const inputs = (n.input ?? []).filter((r) => !r.startsWith('^')).map((r) => {
      const v = values.get(tensorKey(r));
      if (!v) throw new ModelFormatError(`node '${n.name}' reads '${r}', which no node or weight provides`, { source: a.source });
      return v;
    });
    values.set(n.name, f(ctx, n, inputs));
  }

  const sigOut = Object.values(sig?.outputs ?? {}).map((o) => o.name).filter((s): s is string => !!s);
  const outNames = sigOut.length ? sigOut.map(nodeOf) : nodes.filter((n) => n.op !== 'Const' && n.op !== 'NoOp' && !consumed.has(n.name)).map((n) => n.name);
  if (outNames.length !== 1) throw new ModelFormatError(`graph has ${outNames.length} outputs (${outNames.join(', ')}); neuromask explains single-output classifiers`, { source: a.source });
  const out = values.get(outNames[0]!);
  if (!out || out.kind !== 'value') throw new ModelFormatError(`output '${outNames[0]}' is not computed from the input`, { source: a.source });
  const v: Value = out.value;
  const sourceOps: Record<string, number> = {};
  for (const n of nodes) sourceOps[n.op] = (sourceOps[n.op] ?? 0) + 1;
  return { ...ctx.finish(v, 'logits', name), inputName: 'input', inputShape: shape, format: 'graph', sourceOps };
}
