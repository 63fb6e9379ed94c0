import { Job, type Queue } from 'bullmq';
import { QueueError } from '../errors/queue-error.js';
import { jobIdOf } from './run-state.js';

/** Failed children go back to waiting (their attempt counts reset) and count as the run's again. */
export async function retryFailed(runs: Queue, pairs: Queue, run: string): Promise<number> {
  const parent = await Job.fromId(runs, run);
  if (!parent) throw new QueueError(`no run ${run} on this queue (neuromask status lists the runs)`);
  const { ignored } = await parent.getDependencies();
  let n = 0;
  for (const key of Object.keys(ignored ?? {})) {
    const job = await Job.fromId(pairs, jobIdOf(key));
    if (!job) continue;
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    n++;
  }
  return n;
}
