export { importTfjs } from './import.js';
export { importLayersModel } from './layers/import.js';
export { importGraphModel } from './graph/import.js';
export { readTfjsModel, parseModelJson, concatBytes } from './read.js';
export { decodeWeights, halfToFloat } from './weights.js';
export type { TfjsImport } from './import-result.js';
export type { TfjsArtifacts, TfjsModelJson, TfjsFormat } from './types.js';
