import type { ShapeRule } from './context.js';
import { convRules } from './conv.js';
import { elementwiseRules } from './elementwise.js';
import { tensorRules } from './tensor-ops.js';

/** Shape rules of the default (ai.onnx) domain, by op type. */
export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = { ...elementwiseRules, ...convRules, ...tensorRules };

export type { ShapeContext, ShapeInfo, ShapeRule } from './context.js';
