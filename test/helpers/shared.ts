import { fileURLToPath } from 'node:url';

/** `../shared/` beside the checkout: the real model and photos for tests (never committed). */
export const SHARED_MODELS = fileURLToPath(new URL('../../../shared/models/', import.meta.url));
export const SHARED_IMAGES = fileURLToPath(new URL('../../../shared/images/', import.meta.url));

/** Point the named-model cache at the shared models, as the tests and benchmarks do. */
export function useSharedModels(): void {
  process.env['NEUROMASK_HOME'] = SHARED_MODELS;
}
