import { Option, type Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import type { ResolveOptions } from '../models/cache.js';
import { readLabelsFile } from '../models/card.js';
import { loadClassifier, type Classifier, type ClassifierOverrides } from '../models/classifier.js';
import { PREPROCESS_PRESETS, PRESET_NAMES } from '../models/preprocess-presets.js';

/** `a,b,c` → numbers, 1 or 3 of them (one for every channel, or one per channel). */
const channelValues = (what: string, positive: boolean) =>
  z.string().transform((s, ctx) => {
    const v = s.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if ((v.length !== 1 && v.length !== 3) || v.some((x) => !Number.isFinite(x) || (positive && x <= 0))) {
      ctx.addIssue({ code: 'custom', message: `expected 1 or 3 comma-separated ${positive ? 'positive ' : ''}numbers (${what} of R,G,B for pixels in [0, 1]), got '${s}'` });
      return z.NEVER;
    }
    return v;
  });

/** `H` or `H,W` → [H, W]. */
const sizeFlag = z.string().transform((s, ctx): [number, number] => {
  const v = s.split(',').map((x) => (/^\s*\d+\s*$/.test(x) ? Number(x) : NaN));
  if ((v.length !== 1 && v.length !== 2) || v.some((x) => !Number.isInteger(x) || x <= 0)) {
    ctx.addIssue({ code: 'custom', message: `expected H or H,W in pixels (positive integers), got '${s}'` });
    return z.NEVER;
  }
  return [v[0]!, v[1] ?? v[0]!];
});

/** Flags that describe a model's preprocessing: instead of a card, or on top of one. */
export const PreprocessFlagsSchema = z.object({
  preprocess: z.enum(PRESET_NAMES).optional(),
  mean: channelValues('mean', false).optional(),
  std: channelValues('std', true).optional(),
  size: sizeFlag.optional(),
  layout: z.enum(['nchw', 'nhwc']).optional(),
  resize: z.enum(['stretch', 'center-crop', 'pad']).optional(),
  labels: z.string().optional(),
});
export type PreprocessFlags = z.output<typeof PreprocessFlagsSchema>;

const OPTIONS: [string, string][] = [
  ['--preprocess <preset>', `pixel range the model expects: ${PRESET_NAMES.join(' | ')}`],
  ['--mean <r,g,b>', 'per-channel mean for pixels in [0, 1] (over --preprocess)'],
  ['--std <r,g,b>', 'per-channel std for pixels in [0, 1] (over --preprocess)'],
  ['--size <H[,W]>', 'model input size (needed when the graph leaves it open)'],
  ['--layout <layout>', 'nchw | nhwc'],
  ['--resize <mode>', 'center-crop | stretch | pad'],
  ['--labels <file>', 'class names: one per line, or a .json array'],
];

/** Adds the preprocessing flags under their own heading in --help (after the command's own options). */
export function addPreprocessOptions(cmd: Command): Command {
  for (const [flags, description] of OPTIONS) cmd.addOption(new Option(flags, description).helpGroup('Preprocessing (instead of a model card, or over it):'));
  return cmd;
}

/** The flags as loadClassifier overrides; the labels file is read here so a bad one is a usage error. */
export async function preprocessOverrides(f: PreprocessFlags): Promise<ClassifierOverrides> {
  const preset = f.preprocess ? PREPROCESS_PRESETS[f.preprocess] : undefined;
  const spec: NonNullable<ClassifierOverrides['spec']> = {};
  const mean = f.mean ?? preset?.mean;
  const std = f.std ?? preset?.std;
  if (mean) spec.mean = [...mean];
  if (std) spec.std = [...std];
  if (f.size) spec.inputSize = f.size;
  if (f.layout) spec.layout = f.layout;
  if (f.resize) spec.resize = f.resize;
  const labels = f.labels === undefined ? undefined : await readLabelsFile(f.labels).catch((cause: unknown) => {
    throw new UsageError(`--labels: ${(cause as Error).message}`, { cause });
  });
  return { ...(Object.keys(spec).length > 0 ? { spec } : {}), ...(labels ? { labels } : {}) };
}

/** For a model without a card: what it was given (one line, after "no model card: "), and how to fix it for good. */
export function noCardMessage(c: Classifier, ref: string): string | undefined {
  const n = c.noCard;
  if (!n || n.assumed.length === 0) return undefined;
  const graph = n.fromGraph.length > 0 ? `; from the graph: ${n.fromGraph.join(', ')}` : '';
  return `assuming ${n.assumed.join(', ')}${graph}; write ${n.cardPaths.join(' or ')} to fix them — \`neuromask inspect --card ${ref}\` (with the same options) prints one`;
}

const warned = new Set<string>();

/** loadClassifier with the preprocessing flags, warning once on stderr about what a model without a card was assumed to want. */
export async function loadWithFlags(ref: string, f: PreprocessFlags, load: Partial<ResolveOptions> = { allowDownload: true }): Promise<Classifier> {
  const c = await loadClassifier(ref, await preprocessOverrides(f), load);
  const msg = noCardMessage(c, ref);
  if (msg && !warned.has(c.source)) {
    warned.add(c.source);
    process.stderr.write(`neuromask: warning: no model card: ${msg}\n`);
  }
  return c;
}
