import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import { connectionFromUrl } from '../queue/connection.js';

// The flags alone, without BullMQ: every command that takes --queue registers them, and a local
// run should not pay for importing the queue client (~0.3 s).
const QueueFlagsSchema = z.object({
  queue: z.string().optional(),
  store: z.string().optional(),
  detach: z.boolean().default(false),
  retries: z.coerce.number().int().nonnegative().default(2),
  retryDelay: z.coerce.number().int().nonnegative().default(2000),
});
export type QueueFlags = z.output<typeof QueueFlagsSchema> & { queue: string; store: string };

/** `--queue URL --store DIR [--detach] [--retries n]` on a command that can submit its work. */
export function addQueueOptions(cmd: Command): Command {
  return cmd
    .option('--queue <url>', 'submit the run to BullMQ on Redis (redis://host:port[/db]) for `neuromask worker`s instead of computing it here')
    .option('--store <dir>', 'with --queue: the directory every worker sees (inputs, models, results)')
    .option('--detach', 'with --queue: print the run id and return; the same command again follows the run and writes the outputs')
    .option('--retries <n>', 'with --queue: attempts after the first before a pair counts as failed', '2')
    .option('--retry-delay <ms>', 'with --queue: wait before a retry', '2000');
}

/** The queue flags when --queue is given (then --store must be too); undefined for a local run. */
export function queueFlags(raw: Record<string, unknown>): QueueFlags | undefined {
  const f = QueueFlagsSchema.parse(raw);
  if (f.queue === undefined) {
    if (f.store !== undefined || f.detach) throw new UsageError('--store and --detach need --queue redis://host:port');
    return undefined;
  }
  if (f.store === undefined) throw new UsageError('--queue needs --store DIR: the directory the workers read inputs from and write results to');
  connectionFromUrl(f.queue);
  return { ...f, queue: f.queue, store: f.store };
}
