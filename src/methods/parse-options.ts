import type { z } from 'zod';
import { parseInput } from '../errors/parse-input.js';
import type { ExplanationMethod } from './method.js';

/**
 * A method's own options, validated and defaulted by its strict schema; an unknown key names the
 * method and the nearest known key ("unknown option 'iteration' for neuromask; did you mean
 * 'iterations'?").
 */
export function parseOptionsOf<S extends z.ZodType>(m: ExplanationMethod<S>, options: unknown): z.output<S> {
  return parseInput(m.options, options ?? {}, { noun: 'option', owner: m.name });
}
