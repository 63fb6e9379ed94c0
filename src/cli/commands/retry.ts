import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { checkReachable, connectionFromUrl, PAIRS_QUEUE, RUNS_QUEUE } from '../../queue/connection.js';
import { retryFailed } from '../../queue/retry.js';

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description("queue a run's failed pairs again (each with its retries afresh)")
    .argument('<run>', 'the run id')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .action(async (run: string, o: { queue: string }) => {
      const connection = connectionFromUrl(o.queue);
      await checkReachable(connection);
      const runs = new Queue(RUNS_QUEUE, { connection });
      const pairs = new Queue(PAIRS_QUEUE, { connection });
      try {
        const n = await retryFailed(runs, pairs, run);
        process.stdout.write(`run ${run}: ${n} failed pair${n === 1 ? '' : 's'} queued again\n`);
      } finally {
        await runs.close();
        await pairs.close();
      }
    });
}
