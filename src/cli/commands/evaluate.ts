import type { Command } from 'commander';
import { z } from 'zod';
import { parseInput } from '../../errors/parse-input.js';
import { checkBoxes, readManifest } from '../../eval/manifest.js';
import { collectImages } from '../images.js';
import { loadWithFlags } from '../preprocess-flags.js';
import { addQueueOptions, queueFlags } from '../queue-options.js';
import { addRunOptions, checkRunFlags, runAndReport, RunFlagsSchema, submitRunAndReport } from './compare.js';

const EvaluateFlagsSchema = RunFlagsSchema.extend({
  out: z.string(),
  tolerance: z.coerce.number().nonnegative().optional(),
  limit: z.coerce.number().int().positive().optional(),
});

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description('score methods on a manifest of images with targets and boxes: pointing game, energy in boxes, deletion/insertion, mask statistics')
    .argument('<manifest>', 'JSON: {"images": [{"file", "target"?, "boxes"?: [[x0,y0,x1,y1], …]}]}')
    .option('--tolerance <px>', 'pointing-game tolerance in model-input pixels (default 15)')
    .option('--limit <n>', 'only the first n images of the manifest');
  addQueueOptions(addRunOptions(cmd, 'neuromask-evaluate')).action(async (manifestPath: string, raw: Record<string, unknown>) => {
    const q = queueFlags(raw);
    const f = parseInput(EvaluateFlagsSchema, raw, { flags: true });
    await checkRunFlags(f);
    const entries = (await readManifest(manifestPath)).slice(0, f.limit);
    const classifier = await loadWithFlags(f.model, f);
    checkBoxes(entries, classifier.spec.inputSize[0], classifier.spec.inputSize[1], manifestPath);
    // Fail on a missing image now, not after an hour of work on the others.
    await collectImages(entries.map((e) => e.source));
    const extra = { title: `neuromask evaluate: ${classifier.name}`, label: 'evaluate', ...(f.tolerance !== undefined ? { tolerance: f.tolerance } : {}) };
    await (q ? submitRunAndReport(q, classifier, entries, f, extra) : runAndReport(classifier, entries, f, extra));
  });
}
