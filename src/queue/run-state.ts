import { Job, Queue } from 'bullmq';
import { QueueError } from '../errors/queue-error.js';
import type { Redis } from 'ioredis';
import type { PairJobData, RunJobData } from './jobs.js';
import { readStats, statsKey } from './run-stats.js';

export interface FailedPair {
  job: string;
  image: string;
  method: string;
  error: string;
}

export interface RunState {
  run: string;
  title: string;
  created: number;
  /** All pairs of the run; `stored` of them were in the store before it was queued. */
  pairs: number;
  stored: number;
  waiting: number;
  active: number;
  done: number;
  /** Pairs that failed after their retries; `failures` lists the first few of them. */
  failed: number;
  failures: FailedPair[];
  /** Pairs per minute over the finished jobs, and the time left at that rate (s); null before any finished. */
  perMinute: number | null;
  etaSeconds: number | null;
  /** Longest event-loop stall a worker reported for this run's jobs, ms. */
  loopMaxMs: number;
}

export const finished = (s: RunState): boolean => s.waiting + s.active === 0;

/** `bull:neuromask-pairs:r12ab.3` → `r12ab.3`. */
export const jobIdOf = (key: string): string => key.slice(key.lastIndexOf(':') + 1);

async function parentOf(runs: Queue, run: string): Promise<Job<RunJobData>> {
  const parent = await Job.fromId<RunJobData>(runs, run);
  if (!parent) throw new QueueError(`no run ${run} on this queue (neuromask status lists the runs)`);
  return parent;
}

/** Counts only (a few Redis calls whatever the run's size): what a following submitter polls. */
export async function runCounts(runs: Queue, run: string): Promise<{ pairs: number; done: number; failed: number; left: number }> {
  const parent = await parentOf(runs, run);
  const c = await parent.getDependenciesCount({ processed: true, ignored: true, unprocessed: true });
  const d = parent.data;
  return { pairs: d.pairs, done: d.pairs - d.queued + (c.processed ?? 0), failed: c.ignored ?? 0, left: c.unprocessed ?? 0 };
}

/** The first `limit` failed pairs with their one-line errors (one page of the parent's failed hash). */
async function firstFailures(parent: Job<RunJobData>, pairs: Queue, limit: number): Promise<FailedPair[]> {
  if (limit <= 0) return [];
  const { ignored } = await parent.getDependencies({ ignored: { cursor: 0, count: limit } });
  const out: FailedPair[] = [];
  for (const [key, reason] of Object.entries(ignored ?? {}).slice(0, limit)) {
    const id = jobIdOf(key);
    const job = await Job.fromId<PairJobData>(pairs, id);
    out.push({ job: id, image: job?.data.image ?? '?', method: job?.data.key.method ?? '?', error: String(reason).split('\n')[0] ?? '' });
  }
  return out;
}

/**
 * A run's progress in a bounded number of Redis calls, whatever its size: done / failed / left
 * from the parent's dependency counts, active = this run's jobs among those workers hold now,
 * throughput from the run's stats hash (see run-stats), and the first `failedLimit` failures.
 */
export async function runState(runs: Queue, pairs: Queue, stats: Redis, run: string, failedLimit = 10): Promise<RunState> {
  const parent = await parentOf(runs, run);
  const d = parent.data;
  const c = await parent.getDependenciesCount({ processed: true, ignored: true, unprocessed: true });
  const processed = c.processed ?? 0;
  const left = c.unprocessed ?? 0;
  const active = left === 0 ? 0 : (await pairs.getActive()).filter((j) => (j.data as PairJobData | undefined)?.run === run).length;
  const { lastFinished, loopMaxMs } = await readStats(stats, run);
  const minutes = lastFinished !== null ? (lastFinished - d.created) / 60000 : 0;
  const perMinute = processed > 0 && minutes > 0 ? processed / minutes : null;
  return {
    run,
    title: d.title,
    created: d.created,
    pairs: d.pairs,
    stored: d.pairs - d.queued,
    waiting: Math.max(0, left - active),
    active,
    done: d.pairs - d.queued + processed,
    failed: c.ignored ?? 0,
    failures: await firstFailures(parent, pairs, failedLimit),
    perMinute,
    etaSeconds: perMinute ? (left / perMinute) * 60 : null,
    loopMaxMs,
  };
}

/**
 * Deletes a collected run from Redis: the parent, its children still there (failed ones) and its
 * stats hash. Refused (false) while a worker holds one of its jobs.
 */
export async function removeRun(runs: Queue, stats: Redis, run: string): Promise<boolean> {
  const parent = await Job.fromId<RunJobData>(runs, run);
  try {
    await parent?.remove({ removeChildren: true });
  } catch {
    return false;
  }
  await stats.del(statsKey(run));
  return true;
}

/** Every run on the queue, newest first. */
export async function listRuns(runs: Queue): Promise<string[]> {
  const jobs = await runs.getJobs(['waiting-children', 'waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed']);
  return jobs.filter((j) => j?.id).sort((a, b) => b.timestamp - a.timestamp).map((j) => j.id!);
}
