import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { RuntimeOptions } from '../runtime/session.js';

export const RuntimeFlagsSchema = z.object({
  ep: z.enum(['cpu', 'webgpu', 'cuda']).default('cpu'),
  threads: z.coerce.number().int().positive().optional(),
  /** commander's --no-spin sets spin: false. */
  spin: z.boolean().default(true),
});

const warnOnStderr = (message: string): void => void process.stderr.write(`neuromask: warning: ${message}\n`);

/**
 * More intra-op threads than cores only make them wait for each other (--threads 999 took a 1.7 s
 * run to 289 s): the count is capped at the machine's parallelism, with a warning.
 */
export function runtimeOptions(f: z.output<typeof RuntimeFlagsSchema>, warn = warnOnStderr, cores = availableParallelism()): RuntimeOptions {
  let threads = f.threads;
  if (threads !== undefined && threads > cores) {
    warn(`--threads ${threads} is more than the ${cores} this machine can run at once; using ${cores}`);
    threads = cores;
  }
  return { ep: f.ep, spin: f.spin, ...(threads === undefined ? {} : { threads }) };
}
