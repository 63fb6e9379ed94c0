import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';

let cached: Record<string, string> | undefined;

/** Versions recorded in every result, so a run can be reproduced. */
export function versions(): Record<string, string> {
  if (!cached) {
    // src/util and dist/util are both two levels under the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    cached = { neuromask: pkg.version, onnxruntime: ort.env.versions.node ?? 'unknown', node: process.versions.node };
  }
  return cached;
}
