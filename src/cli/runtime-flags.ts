import { z } from 'zod';
import type { RuntimeOptions } from '../runtime/session.js';

export const RuntimeFlagsSchema = z.object({
  ep: z.enum(['cpu', 'webgpu', 'cuda']).default('cpu'),
  threads: z.coerce.number().int().positive().optional(),
});

export function runtimeOptions(f: z.output<typeof RuntimeFlagsSchema>): RuntimeOptions {
  return f.threads === undefined ? { ep: f.ep } : { ep: f.ep, threads: f.threads };
}
