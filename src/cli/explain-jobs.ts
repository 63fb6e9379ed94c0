import { basename } from 'node:path';
import { sha256 } from '../util/sha256.js';
import { explanationSummary, writeExplanation } from '../io/explanation-files.js';
import { writeMethodResult } from '../io/method-files.js';
import { explain } from '../methods/explain.js';
import type { MethodResult } from '../methods/method.js';
import { neuromask, type Explanation } from '../methods/neuromask/neuromask.js';
import type { NeuroMaskOptions } from '../methods/neuromask/options.js';
import type { Engine, EngineControl, EngineStage } from '../runtime/engine.js';
import type { ColormapName } from '../viz/colormap.js';
import type { FolderJob } from './folder-run.js';
import { progress } from './progress.js';

/** What `explain` writes and prints, whatever the method. */
export interface OutputFlags {
  colormap: ColormapName;
  alpha: number;
  json: boolean;
}

/** The settings every method's outputs depend on: the model as loaded (file, preprocessing) and the drawing. */
function baseSettings(engine: Engine, target: number | string | undefined, f: OutputFlags): Record<string, unknown> {
  const c = engine.classifier;
  return { model: c.source, spec: c.spec, inputName: c.inputName, outputName: c.outputName, outputKind: c.outputKind, target: target ?? null, colormap: f.colormap, alpha: f.alpha };
}

/** One stderr line per graph prepared or session created: they take seconds for a large model. */
function reportStage(s: EngineStage): void {
  const what = s.stage === 'prepare' ? `preparing ${s.what} for batch ${s.batch}` : `creating an ONNX Runtime session (${s.what.split(':')[0]}, batch ${s.batch})`;
  process.stderr.write(`neuromask: ${what}\n`);
}

/** The engine watches the run's stop signal; with --verbose it also says what it prepares. */
export function engineControl(signal: AbortSignal, verbose: boolean): EngineControl {
  return { signal, ...(verbose ? { onStage: reportStage } : {}) };
}

export const NEUROMASK_FILES = ['mask.png', 'overlay.png', 'masked.png', 'mask.npy', 'result.json'] as const;
export const METHOD_FILES = ['overlay.png', 'map.png', 'map.npy', 'result.json'] as const;

/** One stdout line per explained image (a JSON line with --json). */
export function printExplanation(e: Explanation, dir: string, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ ...explanationSummary(e), lossCurve: undefined, out: dir })}\n`);
  else {
    process.stdout.write(
      `${e.image}: ${e.target.label ?? e.target.index} (class ${e.target.index}) p ${e.probabilities.original.toFixed(3)} → masked ${e.probabilities.masked.toFixed(3)}, ` +
        `mask area ${(100 * e.maskArea).toFixed(1)}%, ${e.cost.seconds.toFixed(1)} s → ${dir}\n`,
    );
  }
}

export function printMethodResult(path: string, r: MethodResult, dir: string): void {
  process.stdout.write(`${path}: ${r.method} for ${r.target.label ?? r.target.index} (class ${r.target.index}), ${r.cost.forwardPasses} forward / ${r.cost.backwardPasses} backward passes, ${r.cost.seconds.toFixed(1)} s → ${dir}\n`);
}

/** NeuroMask, `options.batchSize` images per session run. */
export function neuromaskJob(
  engine: Engine,
  options: NeuroMaskOptions,
  run: { target: number | string | undefined; initMask?: Uint8Array; initLogits?: Float32Array; signal: AbortSignal },
  f: OutputFlags,
): FolderJob {
  const { batchSize: _performanceOnly, ...kept } = options;
  const initMask = run.initMask ? sha256(run.initMask) : null;
  return {
    batchSize: options.batchSize,
    files: NEUROMASK_FILES,
    settings: { ...baseSettings(engine, run.target, f), method: 'neuromask', options: kept, initMask },
    async run(batch, label) {
      const { target, initLogits } = run;
      const items = batch.map(({ image }) => ({ image, ...(target !== undefined ? { target } : {}), ...(initLogits ? { initLogits } : {}) }));
      let bar: ReturnType<typeof progress> | undefined;
      const results = await neuromask(engine, items, options, {
        signal: run.signal,
        onProgress: (p) => {
          if (p.item !== 0) return;
          bar ??= progress(p.iterations, label);
          bar.update(p.iteration + 1, { loss: p.total.toFixed(3), p: p.targetProbability.toFixed(3) });
        },
      });
      bar?.stop();
      for (const [k, e] of results.entries()) {
        const { dir, image, settings } = batch[k]!;
        await writeExplanation(dir, e, image, { colormap: f.colormap, alpha: f.alpha, settings, signal: run.signal });
        printExplanation(e, dir, f.json);
      }
    },
  };
}

/** Any registered method other than NeuroMask, one image at a time: overlay.png, map.png, map.npy, result.json. */
export function methodJob(
  engine: Engine,
  method: string,
  options: Record<string, unknown>,
  run: { target: number | string | undefined; seed: number; signal: AbortSignal },
  f: OutputFlags,
): FolderJob {
  return {
    batchSize: 1,
    files: METHOD_FILES,
    settings: { ...baseSettings(engine, run.target, f), method, options, seed: run.seed },
    async run(batch) {
      for (const { path, image, dir, settings } of batch) {
        let bar: ReturnType<typeof progress> | undefined;
        const r = await explain(engine, image, {
          method,
          ...(run.target !== undefined ? { target: run.target } : {}),
          seed: run.seed,
          options,
          signal: run.signal,
          onProgress: (done, total) => (bar ??= progress(total, basename(path))).update(done, {}),
        });
        bar?.stop();
        await writeMethodResult(dir, r, image, { colormap: f.colormap, alpha: f.alpha, settings, signal: run.signal });
        printMethodResult(path, r, dir);
      }
    },
  };
}
