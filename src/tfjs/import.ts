import { importGraphModel } from './graph/import.js';
import type { TfjsImport } from './import-result.js';
import { importLayersModel } from './layers/import.js';
import { tfjsFormat, type TfjsArtifacts } from './types.js';

/** Any TF.js model (Layers or Graph) → ONNX. */
export function importTfjs(a: TfjsArtifacts, name?: string): TfjsImport {
  return tfjsFormat(a.json) === 'graph' ? importGraphModel(a, name) : importLayersModel(a, name);
}
