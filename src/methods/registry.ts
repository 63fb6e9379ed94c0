import { UsageError } from '../errors/usage-error.js';
import { didYouMean } from '../util/nearest.js';
import type { ExplanationMethod } from './method.js';
import { GRADIENT_METHODS } from './gradient-methods.js';
import { neuromaskMethod } from './neuromask-method.js';
import { PERTURBATION_METHODS } from './perturbation-methods.js';

const methods = new Map<string, ExplanationMethod>();

export function registerMethod(m: ExplanationMethod): void {
  methods.set(m.name, m);
}

export function findMethod(name: string): ExplanationMethod | undefined {
  return methods.get(name);
}

export function methodNames(): string[] {
  return [...methods.keys()];
}

/** The method called `name`, or a UsageError listing the known ones and the nearest. */
export function requireMethod(name: string): ExplanationMethod {
  const m = methods.get(name);
  if (!m) throw new UsageError(`unknown method '${name}' (known: ${methodNames().join(', ')})${didYouMean(name, methods.keys())}`);
  return m;
}

registerMethod(neuromaskMethod);
GRADIENT_METHODS.forEach(registerMethod);
PERTURBATION_METHODS.forEach(registerMethod);
