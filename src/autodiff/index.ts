export { buildGradient, type GradientGraph, type GradientRequest } from './build.js';
export { registerRule, ruleFor, supportedOps } from './registry.js';
export type { GradContext, VjpRule } from './types.js';
