import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { checkReachable, connectionFromUrl, PAIRS_QUEUE, RUNS_QUEUE } from '../../queue/connection.js';
import { listRuns, runState, type RunState } from '../../queue/run-state.js';

function line(s: RunState): string {
  const rate = s.perMinute !== null ? `, ${s.perMinute.toFixed(1)} pairs/min` : '';
  const eta = s.etaSeconds !== null && s.waiting + s.active > 0 ? `, ETA ${Math.ceil(s.etaSeconds)} s` : '';
  const state = s.waiting + s.active > 0 ? 'running' : s.failed.length > 0 ? 'finished with failures' : 'done';
  return `${s.run}  ${state}: ${s.waiting} waiting, ${s.active} active, ${s.done} done, ${s.failed.length} failed of ${s.pairs}${rate}${eta}  (${s.title}, ${new Date(s.created).toISOString()})`;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('queued runs: waiting / active / done / failed pairs, throughput and ETA; with RUN also its failed pairs and their errors')
    .argument('[run]', 'a run id (as --detach printed it)')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .option('--json', 'print as JSON')
    .action(async (run: string | undefined, o: { queue: string; json?: boolean }) => {
      const connection = connectionFromUrl(o.queue);
      await checkReachable(connection);
      const runs = new Queue(RUNS_QUEUE, { connection });
      const pairs = new Queue(PAIRS_QUEUE, { connection });
      try {
        const ids = run !== undefined ? [run] : await listRuns(runs);
        const states: RunState[] = [];
        for (const id of ids) states.push(await runState(runs, pairs, id));
        if (o.json) {
          process.stdout.write(`${JSON.stringify(run !== undefined ? states[0] : states, null, 2)}\n`);
          return;
        }
        if (states.length === 0) process.stdout.write('no runs on this queue\n');
        for (const s of states) {
          process.stdout.write(`${line(s)}\n`);
          if (run !== undefined) for (const f of s.failed) process.stdout.write(`  failed ${f.job} ${f.image} ${f.method}: ${f.error}\n`);
        }
      } finally {
        await runs.close();
        await pairs.close();
      }
    });
}
