import type { z } from 'zod';
import { describeZodError, type IssueContext } from '../util/zod-words.js';
import { UsageError } from './usage-error.js';

/**
 * Validate user input against a schema; a failure is a UsageError in words (see describeZodError),
 * with the zod error as its cause.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, ctx: Omit<IssueContext, 'schema'> = {}): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new UsageError(describeZodError(r.error, { ...ctx, schema }), { cause: r.error });
}
