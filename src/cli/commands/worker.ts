import type { Command } from 'commander';
import { z } from 'zod';
import { checkReachable, connectionFromUrl } from '../../queue/connection.js';
import { Store } from '../../queue/store.js';
import { LOCK_DEFAULTS, startWorker } from '../../queue/worker.js';
import { runtimeOptions, RuntimeFlagsSchema } from '../runtime-flags.js';

const WorkerFlagsSchema = RuntimeFlagsSchema.extend({
  queue: z.string(),
  store: z.string(),
  concurrency: z.coerce.number().int().positive().default(1),
  lockDuration: z.coerce.number().int().min(1000).default(LOCK_DEFAULTS.lockDuration),
  stalledInterval: z.coerce.number().int().min(500).default(LOCK_DEFAULTS.stalledInterval),
});

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('take pairs of queued runs (explain/compare/evaluate --queue) from Redis, compute them and write the results into the store; SIGTERM finishes the current job and exits')
    .requiredOption('--queue <url>', 'redis://host:port[/db]')
    .requiredOption('--store <dir>', 'the directory the submitters use (inputs, models, results)')
    .option('--concurrency <n>', 'jobs at once in this process', '1')
    .option('--ep <provider>', 'execution provider: cpu | webgpu | cuda', 'cpu')
    .option('--threads <n>', 'ONNX Runtime threads per session (default: all cores)')
    .option('--no-spin', 'idle ONNX Runtime threads sleep instead of spinning (faster on a busy machine)')
    .option('--lock-duration <ms>', 'job lock: a job whose worker stops renewing it for this long is given to another worker', String(LOCK_DEFAULTS.lockDuration))
    .option('--stalled-interval <ms>', 'how often this worker looks for stalled jobs', String(LOCK_DEFAULTS.stalledInterval))
    .action(async (raw: Record<string, unknown>) => {
      const f = WorkerFlagsSchema.parse(raw);
      const connection = connectionFromUrl(f.queue);
      await checkReachable(connection);
      const log = (line: string) => process.stderr.write(`worker ${process.pid}: ${line}\n`);
      const store = new Store(f.store);
      const swept = await store.sweepTmp();
      if (swept > 0) log(`removed ${swept} scratch folder(s) that killed workers on this machine left in ${store.dir}/tmp`);
      const w = startWorker({
        connection,
        store,
        concurrency: f.concurrency,
        runtime: runtimeOptions(f),
        lockDuration: f.lockDuration,
        stalledInterval: f.stalledInterval,
        log,
      });
      await w.worker.waitUntilReady();
      log(`ready (queue ${f.queue}, store ${f.store}, concurrency ${f.concurrency}, lock ${f.lockDuration} ms)`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log(`${signal}: finishing the current job, taking no more`);
          w.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      log(`stopped; longest event-loop stall in a job ${w.loopMaxMs().toFixed(1)} ms`);
    });
}
