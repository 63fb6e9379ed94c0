import { UsageError } from '../errors/usage-error.js';
import { parseOptionsOf } from '../methods/parse-options.js';
import { findMethod, methodNames, requireMethod } from '../methods/registry.js';
import { didYouMean } from '../util/nearest.js';

/**
 * Before any work: every method exists, and every options entry is for a method that runs and
 * passes its strict schema. Options that would be ignored are an error, not a silent no-op.
 */
export function checkMethodOptions(methods: readonly string[], methodOptions: Readonly<Record<string, unknown>> = {}): void {
  for (const m of methods) requireMethod(m);
  for (const [name, options] of Object.entries(methodOptions)) {
    if (!methods.includes(name)) {
      throw new UsageError(
        findMethod(name)
          ? `options given for '${name}', which is not among the methods run (${methods.join(', ')})`
          : `options given for unknown method '${name}'${didYouMean(name, methodNames())}`,
      );
    }
    parseOptionsOf(requireMethod(name), options);
  }
}
