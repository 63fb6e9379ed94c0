import type { Command } from 'commander';
import { z } from 'zod';
import { checkBoxes, readManifest } from '../../eval/manifest.js';
import { loadClassifier } from '../../models/classifier.js';
import { collectImages } from '../images.js';
import { addQueueOptions, queueFlags } from '../queue-flags.js';
import { addRunOptions, runAndReport, RunFlagsSchema, submitRunAndReport } from './compare.js';

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
    const f = EvaluateFlagsSchema.parse(raw);
    const q = queueFlags(raw);
    const entries = (await readManifest(manifestPath)).slice(0, f.limit);
    const classifier = await loadClassifier(f.model, {}, { allowDownload: true });
    checkBoxes(entries, classifier.spec.inputSize[0], classifier.spec.inputSize[1], manifestPath);
    // Fail on a missing image now, not after an hour of work on the others.
    await collectImages(entries.map((e) => e.source));
    const extra = { title: `neuromask evaluate: ${classifier.name}`, label: 'evaluate', ...(f.tolerance !== undefined ? { tolerance: f.tolerance } : {}) };
    await (q ? submitRunAndReport(q, classifier, entries, f, extra) : runAndReport(classifier, entries, f, extra));
  });
}
