import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../../errors/usage-error.js';
import { NeuroMaskOptionsSchema } from '../../methods/neuromask/options.js';
import { DEFAULT_MODEL } from '../../models/builtin.js';
import { Engine } from '../../runtime/engine.js';
import { collectImages } from '../images.js';
import { addPreprocessOptions, loadWithFlags, PreprocessFlagsSchema } from '../preprocess-flags.js';
import { runtimeOptions, RuntimeFlagsSchema } from '../runtime-flags.js';
import { methodNames, requireMethod } from '../../methods/registry.js';
import { parseInput } from '../../errors/parse-input.js';
import { neuromaskMethod } from '../../methods/neuromask-method.js';
import { parseOptionsOf } from '../../methods/parse-options.js';
import { readInitMask } from '../init-mask.js';
import { checkOutDir } from '../validate-out.js';
import { engineControl, methodJob, neuromaskJob } from '../explain-jobs.js';
import { runFolder } from '../folder-run.js';
import { stopSignal } from '../interrupt.js';
import { addQueueOptions, queueFlags, type QueueFlags } from '../queue-options.js';

const num = z.coerce.number();
const int = z.coerce.number().int();

const ExplainFlagsSchema = RuntimeFlagsSchema.extend({
  model: z.string().default(DEFAULT_MODEL),
  target: z.string().optional(),
  preset: z.string().optional(),
  iterations: int.optional(),
  lr: num.optional(),
  optimizer: z.string().optional(),
  temperature: num.optional(),
  weightLimit: num.optional(),
  laplacian: int.optional(),
  prediction: num.optional(),
  sparsity: num.optional(),
  smoothness: num.optional(),
  area: num.optional(),
  deletion: num.optional(),
  maskScale: int.optional(),
  init: z.string().optional(),
  initValue: num.optional(),
  initMask: z.string().optional(),
  baseline: z.string().optional(),
  seed: int.optional(),
  history: int.optional(),
  batchSize: int.optional(),
  out: z.string().default('neuromask-out'),
  colormap: z.enum(['jet', 'viridis', 'turbo']).default('jet'),
  alpha: num.pipe(z.number().min(0).max(1)).default(0.6),
  json: z.boolean().default(false),
  method: z.string().default('neuromask'),
  options: z.string().optional(),
  failFast: z.boolean().default(false),
  verbose: z.boolean().default(false),
}).extend(PreprocessFlagsSchema.shape);

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A target given on the command line: a class index when it is all digits, else a label. */
function parseTarget(t: string | undefined): number | string | undefined {
  if (t === undefined) return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

type ExplainFlags = z.output<typeof ExplainFlagsSchema>;

function parseMethodOptions(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch (cause) {
    throw new UsageError(`--options is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  throw new UsageError('--options must be a JSON object, e.g. \'{"steps": 64}\'');
}

/** Any registered method other than NeuroMask: overlay.png, map.png, map.npy, result.json per image. */
async function explainWithMethod(imageArgs: string[], f: ExplainFlags, q: QueueFlags | undefined): Promise<void> {
  const method = requireMethod(f.method);
  const options = parseOptionsOf(method, parseMethodOptions(f.options)) as Record<string, unknown>;
  const paths = await collectImages(imageArgs, { exclude: [f.out] });
  const classifier = await loadWithFlags(f.model, f);
  const target = parseTarget(f.target);
  const signal = stopSignal();
  const engine = new Engine(classifier, runtimeOptions(f), engineControl(signal, f.verbose));
  try {
    const job = methodJob(engine, f.method, options, { target, seed: f.seed ?? 0, signal }, f);
    const o = { out: f.out, spec: classifier.spec, failFast: f.failFast, signal };
    if (q) await (await import('../queued-explain.js')).explainQueued(q, paths, { classifier, modelRef: f.model, job, method: f.method, options, target, seed: f.seed ?? 0, output: f }, o);
    else await runFolder(paths, job, o);
  } finally {
    await engine.release();
  }
}

export function registerExplain(program: Command): void {
  const cmd = program
    .command('explain')
    .description('learn a NeuroMask explanation for each image and write mask/overlay/masked PNGs, mask.npy and result.json')
    .argument('<images...>', 'image files or folders')
    .option('-m, --model <model>', `built-in, package or named model, an .onnx path, or a TF.js model.json or its folder (default: ${DEFAULT_MODEL})`)
    .option('-t, --target <class>', 'class index or label to explain (default: the predicted class)')
    .option('--method <name>', `explanation method (default neuromask): ${methodNames().join(', ')}`)
    .option('--options <json>', 'the method\'s options as JSON, e.g. \'{"steps": 64}\' (for neuromask: any option without a flag, e.g. \'{"blurSigma": 5}\')')
    .option('-p, --preset <name>', 'default | reference | imagenet | cifar')
    .option('-n, --iterations <n>', 'optimisation steps')
    .option('--lr <rate>', 'learning rate')
    .option('--optimizer <name>', 'rmsprop (TF1 semantics) | adam')
    .option('--temperature <T>', 'mask = sigmoid(w / T)')
    .option('--weight-limit <L>', 'initial range [-L, L] and the sparsity target -L')
    .option('--laplacian <k>', 'Laplacian size for the smoothness term: 3 | 5')
    .option('--prediction <λ>', 'weight of the cross-entropy term')
    .option('--sparsity <λ>', 'weight of mean |w + L|')
    .option('--smoothness <λ>', 'weight of mean (Laplacian ⊛ w)²')
    .option('--area <λ>', 'weight of the mask area')
    .option('--deletion <λ>', 'weight of the target probability on the complement')
    .option('--mask-scale <s>', 'optimise the mask on a grid s times coarser than the input')
    .option('--init <kind>', 'uniform | constant')
    .option('--init-value <w>', 'constant initial logit')
    .option('--init-mask <file.npy>', 'initial mask logits (float32 .npy on the mask grid)')
    .option('--baseline <kind>', 'what masked-out pixels become: black | blur | mean')
    .option('--seed <n>', 'random seed (uniform initialisation)')
    .option('--history <k>', 'keep every k-th mask and write evolution.gif')
    .option('--batch-size <n>', 'images optimised together per session run')
    .option('-o, --out <dir>', 'output folder', 'neuromask-out')
    .option('--colormap <name>', 'jet | viridis | turbo', 'jet')
    .option('--alpha <a>', 'heat-map weight in overlay.png', '0.6')
    .option('--ep <provider>', 'execution provider: cpu | webgpu | cuda', 'cpu')
    .option('--threads <n>', 'CPU threads (default: all cores)')
    .option('--no-spin', 'idle ONNX Runtime threads sleep instead of spinning (faster on a busy machine)')
    .option('--json', 'print each result as a JSON line on stdout')
    .option('--fail-fast', 'stop at the first image that cannot be read (default: report it, go on, exit non-zero at the end)')
    .option('--verbose', 'say on stderr when a graph is prepared and an ONNX Runtime session created (seconds each for a large model)')
    .action(async (imageArgs: string[], raw: Record<string, unknown>) => {
      const f = parseInput(ExplainFlagsSchema, raw, { flags: true });
      const q = queueFlags(raw);
      await checkOutDir(f.out);
      if (f.method !== 'neuromask') return explainWithMethod(imageArgs, f, q);
      // --options takes NeuroMask's options without a flag (blurSigma, smoothnessKind); flags win.
      const json = parseMethodOptions(f.options);
      parseOptionsOf(neuromaskMethod, json);
      const options = parseInput(NeuroMaskOptionsSchema, {
        ...json,
        ...defined({
          preset: f.preset,
          iterations: f.iterations,
          optimizer: f.optimizer,
          learningRate: f.lr,
          temperature: f.temperature,
          weightLimit: f.weightLimit,
          laplacianSize: f.laplacian,
          prediction: f.prediction,
          sparsity: f.sparsity,
          smoothness: f.smoothness,
          area: f.area,
          deletion: f.deletion,
          maskScale: f.maskScale,
          init: f.init,
          initValue: f.initValue,
          baseline: f.baseline,
          seed: f.seed,
          historyEvery: f.history,
          batchSize: f.batchSize,
        }),
      }, { noun: 'option', owner: 'neuromask' });
      const paths = await collectImages(imageArgs, { exclude: [f.out] });
      const classifier = await loadWithFlags(f.model, f);
      const target = parseTarget(f.target);
      const initLogits = f.initMask ? await readInitMask(f.initMask) : undefined;
      // The settings hash of a resumable run covers the initial mask's values.
      const initMask = initLogits ? new Uint8Array(initLogits.buffer, initLogits.byteOffset, initLogits.byteLength) : undefined;
      const signal = stopSignal();
      const engine = new Engine(classifier, runtimeOptions(f), engineControl(signal, f.verbose));
      try {
        const run = { target, signal, ...(initMask && initLogits ? { initMask, initLogits } : {}) };
        const job = neuromaskJob(engine, options, run, f);
        const o = { out: f.out, spec: classifier.spec, failFast: f.failFast, signal };
        if (!q) await runFolder(paths, job, o);
        else {
          const { batchSize: _speedOnly, ...kept } = options;
          const x = { classifier, modelRef: f.model, job, method: 'neuromask', options: kept, resultOptions: options, target, seed: options.seed, output: f };
          await (await import('../queued-explain.js')).explainQueued(q, paths, { ...x, ...(f.initMask ? { initMask: f.initMask } : {}) }, o);
        }
      } finally {
        await engine.release();
      }
    });
  addPreprocessOptions(cmd);
  addQueueOptions(cmd);
}
