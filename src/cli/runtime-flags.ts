import { z } from 'zod';
import type { RuntimeOptions } from '../runtime/session.js';

export const RuntimeFlagsSchema = z.object({
  ep: z.enum(['cpu', 'webgpu', 'cuda']).default('cpu'),
  threads: z.coerce.number().int().positive().optional(),
  /** commander's --no-spin sets spin: false. */
  spin: z.boolean().default(true),
});

export function runtimeOptions(f: z.output<typeof RuntimeFlagsSchema>): RuntimeOptions {
  return { ep: f.ep, spin: f.spin, ...(f.threads === undefined ? {} : { threads: f.threads }) };
}
