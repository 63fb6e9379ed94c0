import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listBuiltins } from './builtin.js';
import { namedModelDir } from './cache.js';
import { loadClassifier } from './classifier.js';
import { PACKAGE_MODELS, packageDir, packageModelPath, packageModelSize, packageRequirement, packageVersion, type PackageResolver } from './packages.js';
import { NAMED_MODELS } from './registry.js';
import type { PreprocessSpec } from './spec.js';

/** One row of `neuromask models`. */
export interface ModelInfo {
  name: string;
  /** built-in: ships in assets/; package: read from an installed npm package; named: downloaded on demand. */
  kind: 'built-in' | 'package' | 'named';
  format: 'onnx' | 'tfjs-layers' | 'tfjs-graph';
  /** Where the weights come from. */
  source: string;
  /** Path of the model file, 'not downloaded', or for a package not installed how to add it. */
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
export async function listModels(resolvePackage: PackageResolver = packageDir): Promise<ModelInfo[]> {
  const rows: ModelInfo[] = [];
  for (const b of await listBuiltins()) {
    const c = await loadClassifier(b.name);
    const { size } = await stat(b.modelPath);
    const source = 'trained by neuromask (see its README.md)';
    rows.push({ name: b.name, kind: 'built-in', format: 'onnx', source, location: b.modelPath, sizeBytes: size, classes: c.numClasses, spec: c.spec, input: describeSpec(c.spec) });
  }
  for (const m of PACKAGE_MODELS) {
    const dir = resolvePackage(m.package);
    const path = dir ? packageModelPath(m, resolvePackage) : `not installed: npm install ${packageRequirement(m.package)} to add it`;
    const source = `npm ${dir ? `${m.package}@${await packageVersion(m.package)}` : `${packageRequirement(m.package)} (optional)`}: ${m.description}`;
    const spec = m.card.preprocess;
    const classes = Array.isArray(m.card.labels) ? m.card.labels.length : 0;
    rows.push({ name: m.name, kind: 'package', format: m.format, source, location: path, sizeBytes: dir ? await packageModelSize(m) : 0, classes, spec, input: describeSpec(spec) });
  }
  for (const m of NAMED_MODELS) {
    const path = join(namedModelDir(m), m.model.file);
    const present = await stat(path).then((s) => s.isFile(), () => false);
    const spec = m.card.preprocess;
    rows.push({ name: m.name, kind: 'named', format: 'onnx', source: `${m.source} (${m.licence})`, location: present ? path : 'not downloaded', sizeBytes: m.model.size, classes: m.numClasses, spec, input: describeSpec(spec) });
  }
  return rows;
}
