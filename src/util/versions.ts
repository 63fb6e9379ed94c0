import * as ort from 'onnxruntime-node';
import { ownPackageJson } from './package-json.js';

let cached: Record<string, string> | undefined;

/** Versions recorded in every result, so a run can be reproduced. */
export function versions(): Record<string, string> {
  if (!cached) {
    cached = { neuromask: ownPackageJson().version, onnxruntime: ort.env.versions.node ?? 'unknown', node: process.versions.node };
  }
  return cached;
}
