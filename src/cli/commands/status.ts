import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { checkReachable, connectionFromUrl, PAIRS_QUEUE, RUNS_QUEUE } from '../../queue/connection.js';
import { parseInput } from '../../errors/parse-input.js';
import { listRuns, runState, type RunState } from '../../queue/run-state.js';

const StatusFlagsSchema = z.object({
  queue: z.string(),
  failed: z.coerce.number().int().nonnegative().default(10),
  json: z.boolean().default(false),
});

function line(s: RunState): string {
  const rate = s.perMinute !== null ? `, ${s.perMinute.toFixed(1)} pairs/min` : '';
  const eta = s.etaSeconds !== null && s.waiting + s.active > 0 ? `, ETA ${Math.ceil(s.etaSeconds)} s` : '';
  const state = s.waiting + s.active > 0 ? 'running' : s.failed > 0 ? 'finished with failures' : 'done';
  return `${s.run}  ${state}: ${s.waiting} waiting, ${s.active} active, ${s.done} done, ${s.failed} failed of ${s.pairs}${rate}${eta}  (${s.title}, ${new Date(s.created).toISOString()})`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('queued runs: waiting / active / done / failed pairs, throughput and ETA; with RUN also its failed pairs and their errors')
    .argument('[run]', 'a run id (as --detach printed it)')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .option('--failed <n>', 'with RUN: how many failed pairs to list', '10')
    .option('--json', 'print as JSON')
    .action(async (run: string | undefined, raw: Record<string, unknown>) => {
      const o = parseInput(StatusFlagsSchema, raw, { flags: true });
      const connection = connectionFromUrl(o.queue);
      await checkReachable(connection);
      const runs = new Queue(RUNS_QUEUE, { connection });
      const pairs = new Queue(PAIRS_QUEUE, { connection });
      const stats = new Redis(connection as RedisOptions);
      try {
        const ids = run !== undefined ? [run] : await listRuns(runs);
        const states: RunState[] = [];
        // Without RUN one line per run: no failures listed, so none are read.
        for (const id of ids) states.push(await runState(runs, pairs, stats, id, run !== undefined ? o.failed : 0));
        if (o.json) {
          process.stdout.write(`${JSON.stringify(run !== undefined ? states[0] : states, null, 2)}\n`);
          return;
        }
        if (states.length === 0) process.stdout.write('no runs on this queue\n');
        for (const s of states) {
          process.stdout.write(`${line(s)}\n`);
          if (run === undefined) continue;
          for (const f of s.failures) process.stdout.write(`  failed ${f.job} ${f.image} ${f.method}: ${f.error}\n`);
          const more = s.failed - s.failures.length;
          if (more > 0) process.stdout.write(`  … and ${more} more failed pair${more === 1 ? '' : 's'} (--failed N lists more)\n`);
        }
      } finally {
        await runs.close();
        await pairs.close();
        stats.disconnect();
      }
    });
}
