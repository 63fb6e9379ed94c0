import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listBuiltins } from './builtin.js';
import { namedModelDir } from './cache.js';
import { loadClassifier } from './classifier.js';
import { NAMED_MODELS } from './registry.js';
import type { PreprocessSpec } from './spec.js';

/** One row of `neuromask models`. */
export interface ModelInfo {
  name: string;
  kind: 'built-in' | 'named';
  /** Path of the .onnx file, or 'not downloaded'. */
  location: string;
  sizeBytes: number;
  classes: number;
  spec: PreprocessSpec;
  /** e.g. '224x224 rgb nchw, center-crop from 256'. */
  input: string;
}

export function describeSpec(s: PreprocessSpec): string {
  const resize = s.resize === 'center-crop' && s.resizeShorter ? `center-crop from ${s.resizeShorter}` : s.resize;
  return `${s.inputSize.join('x')} ${s.channels} ${s.layout}, ${resize}`;
}

/**
 * Built-ins are small, so they are loaded to read their class count; named models are only
 * looked for (no hashing), so listing stays instant.
 */
export async function listModels(): Promise<ModelInfo[]> {
  const rows: ModelInfo[] = [];
  for (const b of await listBuiltins()) {
    const c = await loadClassifier(b.name);
    const { size } = await stat(b.modelPath);
    rows.push({ name: b.name, kind: 'built-in', location: b.modelPath, sizeBytes: size, classes: c.numClasses, spec: c.spec, input: describeSpec(c.spec) });
  }
  for (const m of NAMED_MODELS) {
    const path = join(namedModelDir(m), m.model.file);
    const present = await stat(path).then((s) => s.isFile(), () => false);
    const spec = m.card.preprocess;
    rows.push({ name: m.name, kind: 'named', location: present ? path : 'not downloaded', sizeBytes: m.model.size, classes: m.numClasses, spec, input: describeSpec(spec) });
  }
  return rows;
}
