import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { QueueError } from '../errors/queue-error.js';
import type { EvalItem } from '../eval/types.js';
import { checkMethodOptions } from '../eval/check-methods.js';
import { labelIndex, type Classifier } from '../models/classifier.js';
import { collectPairs } from '../queue/collect.js';
import { checkReachable, connectionFromUrl, RUNS_QUEUE } from '../queue/connection.js';
import type { QueueFlags } from './queue-options.js';
import { planPairs, runId, type PlannedPair, type RunSettings } from '../queue/plan.js';
import { removeRun, runCounts } from '../queue/run-state.js';
import { Store } from '../queue/store.js';
import { submitRun } from '../queue/submit.js';
import { Engine } from '../runtime/engine.js';
import { progress, type Progress } from './progress.js';

/** Check what every job would otherwise fail on, once, before anything is queued. */
function checkSettings(classifier: Classifier, items: readonly EvalItem[], s: RunSettings): void {
  checkMethodOptions(s.methods, s.methodOptions);
  for (const i of items) if (i.target !== undefined) labelIndex(classifier, i.target);
}

export interface Submission {
  classifier: Classifier;
  modelRef: string;
  items: readonly EvalItem[];
  settings: RunSettings;
  out: string;
  title: string;
  label: string;
}

/** Submit the planned pairs as one run (or find it already queued), saying so on stderr. */
export async function submitPlanned(q: QueueFlags, store: Store, pairs: readonly PlannedPair[], o: { title: string; modelRef: string }): Promise<string> {
  const run = runId(pairs);
  const { queued, existing } = await submitRun(connectionFromUrl(q.queue), store, pairs, { run, title: o.title, modelRef: o.modelRef, retries: q.retries, backoffMs: q.retryDelay });
  const what = existing ? 'following' : `${queued} of ${pairs.length} pairs queued`;
  process.stderr.write(`run ${run}: ${what} (${pairs.length} pairs)\n`);
  return run;
}

/**
 * Polls the run's counts with a progress bar until no pair is left; returns how many failed. A run
 * that disappears meanwhile was collected (and removed) by another follower: its results are in the store.
 */
export async function followRun(q: QueueFlags, run: string, label: string, signal?: AbortSignal): Promise<number> {
  const runs = new Queue(RUNS_QUEUE, { connection: connectionFromUrl(q.queue) });
  let bar: Progress | undefined;
  let failed = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const c = await runCounts(runs, run).catch((e: unknown) => {
        if (e instanceof QueueError) return undefined; // submitted or found just before: removed since
        throw e;
      });
      if (!c) break;
      bar ??= progress(c.pairs, label);
      bar.update(c.done + c.failed, c.failed > 0 ? { failed: String(c.failed) } : {});
      failed = c.failed;
      if (c.left === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    bar?.stop();
    await runs.close();
  }
  return failed;
}

/** After its outputs are written, a run without failures leaves Redis (its results stay in the store). */
export async function forgetRun(q: QueueFlags, run: string): Promise<void> {
  const connection = connectionFromUrl(q.queue);
  const runs = new Queue(RUNS_QUEUE, { connection });
  const stats = new Redis(connection as RedisOptions);
  try {
    await removeRun(runs, stats, run);
  } finally {
    await runs.close();
    stats.disconnect();
  }
}

/** The one-line error of a run with failed pairs, naming the commands that list and re-queue them. */
export function failedRunError(q: QueueFlags, run: string, failed: number, total: number, left: string): QueueError {
  return new QueueError(`run ${run}: ${failed} of ${total} pairs failed (${left}); neuromask status --queue ${q.queue} ${run} lists them, neuromask retry --queue ${q.queue} ${run} queues them again`);
}

/**
 * Submit (or follow, when the same run is already queued) and wait with a progress bar; then copy
 * the results into the output folder and hand over to `report`, the command's own local path,
 * which finds every pair done. `--detach` prints the run id instead of waiting.
 */
export async function submitAndCollect(q: QueueFlags, s: Submission, report: (items: EvalItem[]) => Promise<void>): Promise<void> {
  checkSettings(s.classifier, s.items, s.settings);
  const connection = connectionFromUrl(q.queue);
  await checkReachable(connection);
  const store = new Store(q.store);
  const sha = await store.putModel(s.classifier, s.modelRef);
  const pairs = await planPairs(store, sha, s.items, s.settings);
  const run = await submitPlanned(q, store, pairs, { title: s.title, modelRef: s.modelRef });
  if (q.detach) {
    process.stdout.write(`${run}\n`);
    return;
  }
  const failed = await followRun(q, run, s.label);
  const engine = new Engine(s.classifier, { ep: 'cpu' });
  const complete = await collectPairs(store, engine, pairs, { ...s.settings, out: s.out });
  if (complete.length > 0) await report(complete);
  if (failed > 0) throw failedRunError(q, run, failed, pairs.length, `${s.items.length - complete.length} images left out of the outputs`);
  await forgetRun(q, run);
}
