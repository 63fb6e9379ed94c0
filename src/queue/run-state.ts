import { Job, Queue } from 'bullmq';
import { QueueError } from '../errors/queue-error.js';
import type { PairJobData, PairJobResult, RunJobData } from './jobs.js';

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
  failed: FailedPair[];
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
export async function runCounts(runs: Queue, pairs: Queue, run: string): Promise<{ pairs: number; done: number; failed: number; left: number }> {
  const parent = await parentOf(runs, run);
  const c = await parent.getDependenciesCount({ processed: true, ignored: true, unprocessed: true });
  const d = parent.data;
  return { pairs: d.pairs, done: d.pairs - d.queued + (c.processed ?? 0), failed: c.ignored ?? 0, left: c.unprocessed ?? 0 };
}

/**
 * A run's progress from its parent job: done = processed children, failed = children that failed
 * after their retries (kept as ignored dependencies so the rest go on), active = this run's jobs
 * a worker holds now, throughput from the finished jobs' times.
 */
export async function runState(runs: Queue, pairs: Queue, run: string): Promise<RunState> {
  const parent = await parentOf(runs, run);
  const d = parent.data;
  const deps = await parent.getDependencies();
  const processed = Object.values(deps.processed ?? {}).map((v) => (typeof v === 'string' ? (JSON.parse(v) as PairJobResult) : (v as PairJobResult)));
  const failed: FailedPair[] = [];
  for (const [key, reason] of Object.entries(deps.ignored ?? {})) {
    const id = jobIdOf(key);
    const job = await Job.fromId<PairJobData>(pairs, id);
    failed.push({ job: id, image: job?.data.image ?? '?', method: job?.data.key.method ?? '?', error: String(reason).split('\n')[0] ?? '' });
  }
  const active = (await pairs.getActive()).filter((j) => (j.data as PairJobData | undefined)?.run === run).length;
  const left = (deps.unprocessed ?? []).length;
  const times = processed.map((p) => p.finishedAt).filter((t): t is number => typeof t === 'number');
  const minutes = times.length > 0 ? (Math.max(...times) - d.created) / 60000 : 0;
  const perMinute = minutes > 0 ? times.length / minutes : null;
  return {
    run,
    title: d.title,
    created: d.created,
    pairs: d.pairs,
    stored: d.pairs - d.queued,
    waiting: Math.max(0, left - active),
    active,
    done: d.pairs - d.queued + processed.length,
    failed,
    perMinute,
    etaSeconds: perMinute ? (left / perMinute) * 60 : null,
    loopMaxMs: Math.max(0, ...processed.map((p) => p.loopMaxMs ?? 0)),
  };
}

/** Every run on the queue, newest first. */
export async function listRuns(runs: Queue): Promise<string[]> {
  const jobs = await runs.getJobs(['waiting-children', 'waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed']);
  return jobs.filter((j) => j?.id).sort((a, b) => b.timestamp - a.timestamp).map((j) => j.id!);
}
