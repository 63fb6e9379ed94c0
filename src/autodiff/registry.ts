import type { VjpRule } from './types.js';

const rules = new Map<string, VjpRule>();

const key = (opType: string, domain: string): string => `${domain === 'ai.onnx' ? '' : domain}::${opType}`;

export function registerRule(opTypes: string | readonly string[], rule: VjpRule, domain = ''): void {
  for (const op of typeof opTypes === 'string' ? [opTypes] : opTypes) rules.set(key(op, domain), rule);
}

export function ruleFor(opType: string, domain: string): VjpRule | undefined {
  return rules.get(key(opType, domain));
}

export function supportedOps(): string[] {
  return [...rules.keys()].map((k) => k.replace(/^::/, '')).sort();
}
