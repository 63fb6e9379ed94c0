import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { parseInput } from '../../errors/parse-input.js';
import { UsageError } from '../../errors/usage-error.js';
import { imageIds } from '../../eval/manifest.js';
import { runEvaluation, writeResults, type EvalItem } from '../../eval/runner.js';
import { methodNames } from '../../methods/registry.js';
import { DEFAULT_MODEL } from '../../models/builtin.js';
import type { Classifier } from '../../models/classifier.js';
import { writeReport } from '../../report/build.js';
import { summaryText } from '../../report/summary.js';
import { Engine } from '../../runtime/engine.js';
import { checkMethodOptions } from '../../eval/check-methods.js';
import { collectImages } from '../images.js';
import { addPreprocessOptions, loadWithFlags, PreprocessFlagsSchema } from '../preprocess-flags.js';
import { checkOutDir } from '../validate-out.js';
import { stopSignal } from '../interrupt.js';
import { progress, type Progress } from '../progress.js';
import { runtimeOptions, RuntimeFlagsSchema } from '../runtime-flags.js';
import { submitAndCollect } from '../queue-flags.js';
import { addQueueOptions, queueFlags, type QueueFlags } from '../queue-options.js';

/** Relative to the working directory when below it, else as given. */
function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r === '' || r.startsWith('..') || isAbsolute(r) ? p : r;
}

/** Flags shared by `compare` and `evaluate`. */
export const RunFlagsSchema = RuntimeFlagsSchema.extend({
  model: z.string().default(DEFAULT_MODEL),
  methods: z.string().optional(),
  seed: z.coerce.number().int().default(0),
  options: z.string().optional(),
  reportImages: z.coerce.number().int().nonnegative().default(100),
  stability: z.string().default('0'),
  sanity: z.boolean().default(false),
}).extend(PreprocessFlagsSchema.shape);
export type RunFlags = z.output<typeof RunFlagsSchema>;

/** `a,b,c` → ['a','b','c'] (duplicates dropped); all registered methods when not given. */
export function parseMethods(list: string | undefined): string[] {
  if (list === undefined) return methodNames();
  const names = [...new Set(list.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  if (names.length === 0) throw new UsageError('--methods: give at least one method name');
  return names;
}

/** `--options '{"neuromask": {"preset": "reference"}}'`: each method's own options. */
export function parseMethodOptions(json: string | undefined): Record<string, Record<string, unknown>> {
  if (json === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (cause) {
    throw new UsageError(`--options: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const parsed = z.record(z.string(), z.record(z.string(), z.unknown())).safeParse(v);
  if (!parsed.success) throw new UsageError('--options: expected an object of method name → options object');
  return parsed.data;
}

/** `--stability <k>`: 0 (off) or k ≥ 2 seeds. */
export function parseStability(v: string): number {
  const k = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(k) || k === 1) throw new UsageError(`--stability: expected 0 (off) or a number of seeds ≥ 2, got '${v}'`);
  return k;
}

/**
 * Before loading a model or an image: the output folder, the methods, each method's options (for a
 * method that runs, by its strict schema) and --stability.
 */
export async function checkRunFlags(f: RunFlags & { out: string }): Promise<void> {
  await checkOutDir(f.out);
  checkMethodOptions(parseMethods(f.methods), parseMethodOptions(f.options));
  parseStability(f.stability);
}

export function addRunOptions(cmd: Command, defaultOut: string): Command {
  cmd
    .option('-m, --model <model>', `built-in, package or named model, an .onnx path, or a TF.js model.json or its folder (default: ${DEFAULT_MODEL})`)
    .option('--methods <list>', `comma-separated methods (default: all: ${methodNames().join(',')})`)
    .option('--options <json>', 'per-method options as JSON, e.g. \'{"neuromask":{"preset":"reference"}}\'')
    .option('-o, --out <dir>', 'output folder', defaultOut)
    .option('--seed <n>', 'random seed for every method', '0')
    .option('--stability <k>', 'also run each method with seeds seed+1 … seed+k−1 and report the mean pairwise Spearman ρ of the k maps (0 = off)', '0')
    .option('--sanity', 'model-randomisation sanity check: Spearman ρ with the map on the model with its top layer / all layers randomised (2 extra runs per pair)')
    .option('--report-images <n>', 'image rows drawn in report.html (the tables count all)', '100')
    .option('--ep <provider>', 'execution provider: cpu | webgpu | cuda', 'cpu')
    .option('--threads <n>', 'CPU threads (default: all cores)')
    .option('--no-spin', 'idle ONNX Runtime threads sleep instead of spinning (faster on a busy machine)');
  return addPreprocessOptions(cmd);
}

/**
 * Shared by compare and evaluate: run images × methods with a progress bar, then write
 * results.json, results.csv and report.html, and print the per-method table.
 */
export async function runAndReport(classifier: Classifier, items: EvalItem[], f: RunFlags & { out: string }, extra: { title: string; label: string; tolerance?: number }): Promise<void> {
  const methods = parseMethods(f.methods);
  const methodOptions = parseMethodOptions(f.options);
  const stability = parseStability(f.stability);
  const signal = stopSignal();
  const engine = new Engine(classifier, runtimeOptions(f), { signal });
  let bar: Progress | undefined;
  try {
    const results = await runEvaluation(engine, items, {
      methods,
      out: f.out,
      seed: f.seed,
      methodOptions,
      stability,
      sanity: f.sanity,
      signal,
      ...(extra.tolerance !== undefined ? { tolerance: extra.tolerance } : {}),
      onProgress: (done, total, s) => {
        bar ??= progress(total, extra.label);
        bar.update(done, s.method ? { image: s.image, method: s.method, ...(s.step ? { step: s.step } : {}) } : {});
      },
    });
    bar?.stop();
    await writeResults(f.out, results);
    const report = await writeReport(f.out, results, classifier.spec, {
      title: extra.title,
      maxImages: f.reportImages,
      ...(extra.tolerance !== undefined ? { tolerance: extra.tolerance } : {}),
    });
    process.stdout.write(summaryText(results.summary, results));
    const reused = results.restored > 0 ? ` (${results.restored} restored from an earlier run)` : '';
    process.stdout.write(`${results.pairs.length} pairs${reused} in ${results.seconds.toFixed(1)} s → ${shortPath(report)}, results.json, results.csv\n`);
  } finally {
    bar?.stop();
    await engine.release();
  }
}

/** With --queue: the run goes to the workers; its outputs are then written by `runAndReport` as usual. */
export function submitRunAndReport(q: QueueFlags, classifier: Classifier, items: EvalItem[], f: RunFlags & { out: string }, extra: { title: string; label: string; tolerance?: number }): Promise<void> {
  const settings = { methods: parseMethods(f.methods), methodOptions: parseMethodOptions(f.options), seed: f.seed, stability: parseStability(f.stability), sanity: f.sanity };
  return submitAndCollect(q, { classifier, modelRef: f.model, items, settings, out: f.out, title: extra.title, label: extra.label }, (done) => runAndReport(classifier, done, f, extra));
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description('explain images with several methods; write report.html, results.json and results.csv')
    .argument('<images...>', 'image files or folders')
    .option('-t, --target <class>', 'class index or label to explain (default: each image\'s predicted class)');
  addQueueOptions(addRunOptions(cmd, 'neuromask-compare')).action(async (args: string[], raw: Record<string, unknown>) => {
    const q = queueFlags(raw);
    const f = parseInput(RunFlagsSchema.extend({ out: z.string(), target: z.string().optional() }), raw, { flags: true });
    await checkRunFlags(f);
    const paths = await collectImages(args, { exclude: [f.out] });
    const classifier = await loadWithFlags(f.model, f);
    const target = f.target === undefined ? undefined : /^\d+$/.test(f.target) ? Number(f.target) : f.target;
    const ids = imageIds(paths);
    const items = paths.map((source, i) => ({ id: ids[i]!, source, ...(target !== undefined ? { target } : {}) }));
    const extra = { title: `neuromask compare: ${classifier.name}`, label: 'compare' };
    await (q ? submitRunAndReport(q, classifier, items, f, extra) : runAndReport(classifier, items, f, extra));
  });
}
