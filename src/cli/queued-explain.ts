import { relative } from 'node:path';
import { writeExplanation } from '../io/explanation-files.js';
import { writeMethodResult } from '../io/method-files.js';
import { labelIndex, type Classifier } from '../models/classifier.js';
import { checkReachable, connectionFromUrl } from '../queue/connection.js';
import { readExplain, type ExplainKeyOptions } from '../queue/explain-result.js';
import type { PlannedPair } from '../queue/plan.js';
import { Store, type ResultKey } from '../queue/store.js';
import { printExplanation, printMethodResult, type OutputFlags } from './explain-jobs.js';
import { pendingImages, runFolder, type FolderJob, type FolderRunOptions } from './folder-run.js';
import { failedRunError, followRun, forgetRun, submitPlanned } from './queue-flags.js';
import type { QueueFlags } from './queue-options.js';

/** What `explain --queue` submits: the local run's job (its settings decide what is already explained) and what the workers need. */
export interface QueuedExplain {
  classifier: Classifier;
  modelRef: string;
  /** The job a local `explain` would run: its settings and files make skip and resume the same. */
  job: FolderJob;
  method: string;
  /** The method's validated options (NeuroMask's without batchSize), as the workers run them. */
  options: Record<string, unknown>;
  /** NeuroMask's options as given here, for result.json (the workers run one image per batch). */
  resultOptions?: Record<string, unknown>;
  target: number | string | undefined;
  seed: number;
  /** `--init-mask`, already checked by the caller. */
  initMask?: string;
  output: OutputFlags;
}

/**
 * `explain … --queue URL --store DIR`: one run of one job per image still to explain (images with a
 * complete output of the same settings are skipped, as locally), followed to its end; then each
 * image's folder is written from its stored result by the code a local run writes with, atomically.
 * An image whose job failed is reported and left out; the exit is then non-zero.
 */
export async function explainQueued(q: QueueFlags, paths: readonly string[], x: QueuedExplain, o: FolderRunOptions): Promise<void> {
  if (x.target !== undefined) labelIndex(x.classifier, x.target);
  await checkReachable(connectionFromUrl(q.queue));
  const store = new Store(q.store);
  const model = await store.putModel(x.classifier, x.modelRef);
  const initMask = x.initMask !== undefined ? await store.putInput(x.initMask) : null;
  const keyOptions: ExplainKeyOptions = { options: x.options, initMask };
  const keys = new Map<string, ResultKey>();
  const pairs: PlannedPair[] = [];
  for (const p of await pendingImages(paths, x.job, o.out)) {
    const key: ResultKey = { model, image: await store.putInput(p.path), method: x.method, target: x.target ?? null, options: { ...keyOptions }, stability: 0, sanity: false, seed: x.seed, kind: 'explain' };
    keys.set(p.path, key);
    pairs.push({ item: { id: relative(o.out, p.dir), source: p.path }, method: x.method, key });
  }
  let run: string | undefined;
  let failed = 0;
  if (pairs.length > 0) {
    run = await submitPlanned(q, store, pairs, { title: `explain ${x.method} (${pairs.length} images)`, modelRef: x.modelRef });
    if (q.detach) {
      process.stdout.write(`${run}\n`);
      return;
    }
    failed = await followRun(q, run, `explain ${x.method}`, o.signal);
  }
  let missing = 0;
  await runFolder(paths, storedJob(store, keys, x, () => missing++), o);
  if (run === undefined) return;
  if (missing > 0) throw failedRunError(q, run, failed, pairs.length, `${missing} image${missing === 1 ? '' : 's'} without an output`);
  if (failed > 0) process.stderr.write(`neuromask: run ${run}: ${failed} failed; neuromask status --queue ${q.queue} ${run} lists them\n`);
  else await forgetRun(q, run);
}

/** The local job's settings and files, but each image written from the store instead of computed. */
function storedJob(store: Store, keys: ReadonlyMap<string, ResultKey>, x: QueuedExplain, onMissing: () => void): FolderJob {
  const { colormap, alpha } = x.output;
  return {
    batchSize: 1,
    files: x.job.files,
    settings: x.job.settings,
    async run(batch) {
      for (const { path, image, dir, settings } of batch) {
        const key = keys.get(path);
        if (!key || !(await store.hasResult(key))) {
          process.stderr.write(`neuromask: ${path}: its job failed, no output written\n`);
          onMissing();
          continue;
        }
        const r = await readExplain(store, key, image, x.resultOptions);
        if (r.kind === 'neuromask') {
          await writeExplanation(dir, r.explanation, image, { colormap, alpha, settings });
          printExplanation(r.explanation, dir, x.output.json);
        } else {
          await writeMethodResult(dir, r.result, image, { colormap, alpha, settings });
          printMethodResult(path, r.result, dir);
        }
      }
    },
  };
}
