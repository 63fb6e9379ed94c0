import type { Command } from 'commander';
import { z } from 'zod';
import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { loadClassifier, readTfjsJson, type Classifier } from '../../models/classifier.js';
import { describeMissing } from '../../tfjs/blocked.js';
import { surveyTfjs } from '../../tfjs/survey.js';
import { inspectClassifier, type ModelReport } from '../../models/inspect.js';
import { describeSpec } from '../../models/list.js';
import { cardFor } from '../../models/card.js';
import { addPreprocessOptions, noCardMessage, PreprocessFlagsSchema, preprocessOverrides } from '../preprocess-flags.js';

const InspectFlagsSchema = PreprocessFlagsSchema.extend({ json: z.boolean().default(false), card: z.boolean().default(false) });

const fmtOps = (ops: Record<string, number>): string =>
  Object.entries(ops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');

function describeOutput(r: ModelReport): string {
  if (r.strippedSoftmax) return "logits: the graph's final softmax is removed (probabilities shown are its softmax, as the model computes them)";
  return r.outputKind === 'probabilities' ? 'probabilities, as the card says (the model output is used as it is)' : 'logits (the model output is used as it is)';
}

export function registerInspect(program: Command): void {
  const cmd = program
    .command('inspect')
    .description("show a model's inputs, outputs, ops, preprocessing and whether it can be explained")
    .argument('<model>', 'built-in, package or named model, an .onnx path, or a TF.js model.json or its folder')
    .option('--json', 'print the report as JSON')
    .option('--card', 'print a model card (neuromask.json) for the model as loaded, to save beside it and edit')
    .action(async (ref: string, raw: Record<string, unknown>) => {
      const o = InspectFlagsSchema.parse(raw);
      let c: Classifier;
      try {
        // A model without a card whose graph leaves the size open is still inspected, at a stated stand-in size.
        c = await loadClassifier(ref, { ...(await preprocessOverrides(o)), fallbackSize: [224, 224] }, { allowDownload: true });
      } catch (e) {
        // A TF.js model with layers or ops we cannot translate: still say what it holds and what blocks it.
        const tfjs = e instanceof UnsupportedOpError ? await readTfjsJson(ref) : undefined;
        if (!tfjs) throw e;
        const s = surveyTfjs(tfjs.json, tfjs.source);
        const report = { name: ref, source: tfjs.source, format: `tfjs-${s.format}`, input: s.inputShape, sourceOps: s.sourceOps, blockedBy: describeMissing(s.missing) };
        process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${[
          `model       ${ref} (${tfjs.source})`,
          `format      tfjs-${s.format}`,
          ...(s.inputShape ? [`input       [${s.inputShape.map((d) => d ?? 'N').join(', ')}] (TF order)`] : []),
          `${s.format === 'layers' ? 'tfjs layers' : 'tfjs ops   '} ${fmtOps(s.sourceOps)}`,
          `gradient    NOT available: no converter for ${report.blockedBy.join(', ')}`,
        ].join('\n')}\n`);
        process.exitCode = 4;
        return;
      }
      if (o.card) {
        // Number lists on one line, as a person would write them.
        const text = JSON.stringify(cardFor(c), null, 2).replace(/\[\s+([-\d.e,\s]+?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`);
        process.stdout.write(`${text}\n`);
        return;
      }
      const r = inspectClassifier(c);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...r, labels: r.labels?.length }, null, 2)}\n`);
        return;
      }
      const shape = (s: (number | string)[]): string => `[${s.join(', ')}]`;
      const lines = [
        `model       ${r.name} (${r.source})`,
        `format      ${r.format}`,
        `opsets      ${Object.entries(r.opsets).map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ')}`,
        ...r.inputs.map((v) => `input       ${v.name} ${v.dtype} ${shape(v.shape)}`),
        ...r.outputs.map((v) => `output      ${v.name} ${v.dtype} ${shape(v.shape)}`),
        `explains    ${describeOutput(r)}`,
        `classes     ${r.numClasses}${r.labels ? ` (labels: ${r.labels.slice(0, 3).join(' | ')} …)` : ' (no labels)'}`,
        `preprocess  ${describeSpec(r.spec)}, mean [${r.spec.mean.join(', ')}], std [${r.spec.std.join(', ')}]`,
        ...(c.noCard ? [`card        none: ${noCardMessage(c, ref) ?? 'everything given by the options'}`] : []),
        ...(r.sourceOps ? [`${r.format === 'tfjs-layers' ? 'tfjs layers' : 'tfjs ops   '} ${fmtOps(r.sourceOps)}`] : []),
        `ops         ${fmtOps(r.ops)}`,
        `prepared    ${fmtOps(r.preparedOps)}`,
        r.gradientError || r.unsupported.length
          ? `gradient    NOT available: ${r.gradientError ?? `no rule for ${r.unsupported.join(', ')}`}`
          : 'gradient    ok: every op on the path has a gradient rule',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (r.gradientError) process.exitCode = 4;
    });
  addPreprocessOptions(cmd);
}
