import type { VjpRule } from './types.js';

const rules = new Map<string, VjpRule>();

const key = (opType: string, domain: string): string => `${domain === 'ai.onnx' ? '' : domain}::${opType}`;

export function registerRule(opTypes: string | readonly string[], rule: VjpRule, domain = ''): void {
  for (const op of typeof opTypes === 'string' ? [opTypes] : opTypes) rules.set(key(op, domain), rule);
}

export function ruleFor(opType: string, domain: string): VjpRule | undefined {
  return rules.get(key(opType, domain));
}

/**
 * Rules that replace the registered one where a graph must run on WebGPU: onnxruntime-web's WebGPU
 * providers reject some ops the default rules emit (MaxPool's Indices output). Slower on CPU.
 */
const webgpuRules = new Map<string, VjpRule>();

export function registerWebgpuRule(opType: string, rule: VjpRule, domain = ''): void {
  webgpuRules.set(key(opType, domain), rule);
}

/** The rule for an op, with the WebGPU-safe variant when `webgpu` is set and one exists. */
export function ruleForTarget(opType: string, domain: string, webgpu: boolean): VjpRule | undefined {
  return (webgpu ? webgpuRules.get(key(opType, domain)) : undefined) ?? ruleFor(opType, domain);
}

export function supportedOps(): string[] {
  return [...rules.keys()].map((k) => k.replace(/^::/, '')).sort();
}
