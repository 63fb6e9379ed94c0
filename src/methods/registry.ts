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

registerMethod(neuromaskMethod);
GRADIENT_METHODS.forEach(registerMethod);
PERTURBATION_METHODS.forEach(registerMethod);
