import { access, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { ImageError } from '../errors/image-error.js';
import { loadImage, type ImageInput } from '../image/load.js';
import { sweepLeftovers } from '../io/atomic.js';
import type { PreprocessSpec } from '../models/spec.js';
import { describeError } from './exit-codes.js';

/** One image of a batch: where it came from, its output folder and the settings it is written with. */
export interface FolderItem {
  path: string;
  image: ImageInput;
  dir: string;
  /** Stored in result.json; a rerun skips the image when they are unchanged. */
  settings: Record<string, unknown>;
}

export interface FolderJob {
  /** Images explained together (NeuroMask's --batch-size); 1 for the other methods. */
  batchSize: number;
  /** Files every complete output folder holds, result.json among them. */
  files: readonly string[];
  /** What makes an earlier output reusable (model, preprocessing, method, options, …), minus the image. */
  settings: Record<string, unknown>;
  /** Explain one batch, write each item's folder, print each result; `label` names the batch for progress. */
  run(batch: FolderItem[], label: string): Promise<void>;
}

export interface FolderRunOptions {
  out: string;
  spec: PreprocessSpec;
  /** Stop at the first image that fails instead of reporting it and going on. */
  failFast: boolean;
  signal: AbortSignal;
}

/** One output folder per image, named by its stem (`dog`, and `dog-2` for a second dog.jpg). */
export function outputDirs(images: readonly string[], root: string): string[] {
  const used = new Map<string, number>();
  return images.map((p) => {
    const stem = basename(p, extname(p)) || 'image';
    const n = used.get(stem) ?? 0;
    used.set(stem, n + 1);
    return join(root, n === 0 ? stem : `${stem}-${n + 1}`);
  });
}

/** The job's settings plus the image itself: its absolute path, size and modification time. */
async function imageSettings(path: string, job: FolderJob): Promise<Record<string, unknown>> {
  const s = await stat(path).catch(() => undefined);
  return { ...job.settings, image: resolve(path), imageBytes: s?.size ?? null, imageModified: s?.mtimeMs ?? null };
}

/** An output folder is complete when it exists (folders are renamed into place whole) with every file and the same settings. */
async function alreadyExplained(dir: string, settings: Record<string, unknown>, files: readonly string[]): Promise<boolean> {
  try {
    const stored = (JSON.parse(await readFile(join(dir, 'result.json'), 'utf8')) as { settings?: unknown }).settings;
    if (JSON.stringify(stored) !== JSON.stringify(settings)) return false;
    await Promise.all(files.map((f) => access(join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

/** An image still to explain: where it comes from, its output folder and the settings it is written with. */
export type PendingImage = Omit<FolderItem, 'image'>;

/** The images without a complete output of the same settings in `out`, in order. */
export async function pendingImages(paths: readonly string[], job: FolderJob, out: string): Promise<PendingImage[]> {
  const dirs = outputDirs(paths, out);
  const pending: PendingImage[] = [];
  for (const [i, path] of paths.entries()) {
    const settings = await imageSettings(path, job);
    if (!(await alreadyExplained(dirs[i]!, settings, job.files))) pending.push({ path, dir: dirs[i]!, settings });
  }
  return pending;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Explain every image of a (possibly large) folder run, resumably: images whose complete output
 * already exists with the same settings are skipped; an image that cannot be read is reported in
 * one line and skipped (or ends the run with `failFast`); a summary goes to stderr at the end.
 * The exit code (process.exitCode) is that of the first failure, if any.
 */
export async function runFolder(paths: readonly string[], job: FolderJob, o: FolderRunOptions): Promise<void> {
  const swept = await sweepLeftovers(o.out);
  if (swept > 0) process.stderr.write(`neuromask: removed ${plural(swept, 'temporary folder')} left in ${o.out} by a run that was killed\n`);
  const pending = await pendingImages(paths, job, o.out);
  const skipped = paths.length - pending.length;
  if (skipped > 0) process.stderr.write(`neuromask: skipped ${skipped} already explained (same settings, in ${o.out})\n`);

  let explained = 0;
  let failed = 0;
  let stopped = false;
  let batch: FolderItem[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const label = pending.length > 1 ? `[${explained + 1}-${explained + batch.length}/${pending.length}]` : basename(batch[0]!.path);
    await job.run(batch, label);
    explained += batch.length;
    batch = [];
  };
  for (const item of pending) {
    o.signal.throwIfAborted();
    let image: ImageInput;
    try {
      image = await loadImage(item.path, o.spec);
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      const { code, message } = describeError(e);
      process.stderr.write(`neuromask: ${message}\n`);
      failed++;
      if (typeof process.exitCode !== 'number' || process.exitCode === 0) process.exitCode = code;
      if (o.failFast) {
        stopped = true;
        break;
      }
      continue;
    }
    batch.push({ ...item, image });
    if (batch.length === job.batchSize) await flush();
  }
  if (!stopped) await flush();
  if (paths.length > 1 || skipped > 0) {
    const parts = [skipped > 0 ? `${skipped} skipped as already explained` : '', failed > 0 ? `${failed} failed` : '', stopped ? 'stopped at the first failure (--fail-fast)' : ''];
    const extra = parts.filter((s) => s !== '').join(', ');
    process.stderr.write(`neuromask: explained ${explained} of ${plural(paths.length, 'image')}${extra ? ` (${extra})` : ''} → ${o.out}\n`);
  }
}
