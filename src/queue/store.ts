import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ModelMismatchError } from '../errors/model-mismatch-error.js';
import { pidAlive, writeFileAtomic } from '../io/atomic.js';
import type { Classifier } from '../models/classifier.js';
import { findPackageModel } from '../models/packages.js';
import { sha256 } from '../util/sha256.js';
import { canonicalJson } from './hash.js';
import { cardOf, modelFiles, modelSha } from './model-files.js';

/** What a result is a function of: the same key always gives the same map and numbers. */
export interface ResultKey {
  model: string;
  image: string;
  method: string;
  /** As given (index or label); null = the predicted class. */
  target: number | string | null;
  /** The method's options and the opt-in metrics that are stored with the pair. */
  options: Record<string, unknown>;
  stability: number;
  sanity: boolean;
  seed: number;
  /** `explain`'s per-image result (the outputs `explain` writes) rather than an evaluation pair. */
  kind?: 'explain';
}

export const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/** A label becomes a short hash in a file name: labels hold spaces, slashes, commas. */
function targetPart(t: number | string | null): string {
  if (t === null) return 'pred';
  return typeof t === 'number' ? `t${t}` : `l${sha256(t).slice(0, 12)}`;
}

/**
 * The directory every submitter and worker shares (local disk, NFS, …):
 * `inputs/<sha256>` images by content, `models/<sha256>/` model files with the card they were
 * loaded with, `models/refs/` which file each reference (name or path) stands for, and
 * `results/<model>/<image>/<method>/<target>-<options>-s<seed>.{npy,json}`. Every file is written
 * under a temp name and renamed, so readers never see half a file and a job done twice leaves one result.
 */
export class Store {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  inputPath(sha: string): string {
    return join(this.dir, 'inputs', sha);
  }

  /** Copies the image in by content; returns its sha256. */
  async putInput(path: string): Promise<string> {
    const bytes = await readFile(path);
    const sha = sha256(bytes);
    const dest = this.inputPath(sha);
    if (!(await exists(dest))) {
      await mkdir(join(this.dir, 'inputs'), { recursive: true });
      await writeFileAtomic(dest, bytes);
    }
    return sha;
  }

  modelDir(sha: string): string {
    return join(this.dir, 'models', sha);
  }

  /**
   * Registers the submitter's model: its files and card go to `models/<sha>/` (once), and `ref`
   * is bound to that sha. A reference bound to another file, or a file stored with another card,
   * is refused: results keyed by that sha would then mean two different models.
   */
  async putModel(c: Classifier, ref: string): Promise<string> {
    const sha = await modelSha(c, ref);
    const card = `${JSON.stringify(cardOf(c), null, 2)}\n`;
    const dir = this.modelDir(sha);
    const cardPath = join(dir, 'neuromask.json');
    if (await exists(cardPath)) {
      const stored = await readFile(cardPath, 'utf8');
      if (canonicalJson(JSON.parse(stored)) !== canonicalJson(JSON.parse(card))) {
        throw new ModelMismatchError(`model ${ref} (sha256 ${sha.slice(0, 12)}…): the store ${this.dir} holds this file with another model card (preprocessing or labels differ); use the same card, or another --store`);
      }
    } else {
      await mkdir(dir, { recursive: true });
      // A package model is loaded by name on every machine (its version is pinned): only its card is kept.
      if (!findPackageModel(ref)) for (const f of await modelFiles(c)) await copyAtomic(f.path, join(dir, f.name));
      await writeFileAtomic(cardPath, card);
    }
    await this.bindRef(ref, sha);
    return sha;
  }

  private async bindRef(ref: string, sha: string): Promise<void> {
    const key = resolveRef(ref);
    const path = join(this.dir, 'models', 'refs', `${sha256(key).slice(0, 32)}.json`);
    if (await exists(path)) {
      const bound = JSON.parse(await readFile(path, 'utf8')) as { ref: string; sha: string; since: string };
      if (bound.sha !== sha) {
        throw new ModelMismatchError(
          `model ${ref}: this file has sha256 ${sha.slice(0, 12)}… but the store ${this.dir} and its workers use sha256 ${bound.sha.slice(0, 12)}… for it (since ${bound.since}); ` +
            'submit the same model file the workers have, or use another --store',
        );
      }
      return;
    }
    await mkdir(join(this.dir, 'models', 'refs'), { recursive: true });
    await writeFileAtomic(path, JSON.stringify({ ref: key, sha, since: new Date().toISOString() }));
  }

  resultBase(k: ResultKey): string {
    const opts = sha256(canonicalJson({ options: k.options, stability: k.stability, sanity: k.sanity })).slice(0, 16);
    const kind = k.kind === 'explain' ? 'x-' : '';
    return join(this.dir, 'results', k.model, k.image, k.method, `${kind}${targetPart(k.target)}-o${opts}-s${k.seed}`);
  }

  /** The .json is written last: it marks the result done. */
  hasResult(k: ResultKey): Promise<boolean> {
    return exists(`${this.resultBase(k)}.json`);
  }

  async readResult(k: ResultKey): Promise<{ json: string; npy: Uint8Array }> {
    const base = this.resultBase(k);
    return { json: await readFile(`${base}.json`, 'utf8'), npy: await readFile(`${base}.npy`) };
  }

  /** Moves a pair's finished files (written in `tmpDir()`, same filesystem) into place: the map first. */
  async commitResult(k: ResultKey, files: { npy: string; json: string }): Promise<void> {
    const base = this.resultBase(k);
    await mkdir(join(base, '..'), { recursive: true });
    await rename(files.npy, `${base}.npy`);
    await rename(files.json, `${base}.json`);
  }

  /**
   * A private scratch folder inside the store, so a commit is a rename on one filesystem. Its name
   * carries this machine's name and pid: `sweepTmp` on the same machine can tell a dead worker's.
   */
  async tmpDir(): Promise<string> {
    const dir = join(this.dir, 'tmp', `${tmpOwner()}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  /**
   * Removes the scratch folders that workers on this machine left when they were killed (SIGKILL,
   * power cut): those named with this host and a pid no longer running. Other machines' folders
   * (a shared store) are left to their own workers. Returns how many were removed.
   */
  async sweepTmp(): Promise<number> {
    const host = tmpHost();
    let removed = 0;
    for (const name of await readdir(join(this.dir, 'tmp')).catch(() => [] as string[])) {
      const m = /^(.+)-(\d+)-[0-9a-f]{12}$/.exec(name);
      if (!m || m[1] !== host || pidAlive(Number(m[2]))) continue;
      await rm(join(this.dir, 'tmp', name), { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  removeTmp(dir: string): Promise<void> {
    return rm(dir, { recursive: true, force: true });
  }
}

/** The host part of scratch names: no path separators, and no digits-only tail that reads as a pid. */
function tmpHost(): string {
  return hostname().replace(/[^A-Za-z0-9.]/g, '_') || 'host';
}

const tmpOwner = (): string => `${tmpHost()}-${process.pid}`;

/** Built-in and named models are bound by name; files by absolute path. */
function resolveRef(ref: string): string {
  return /[\\/]|\.(onnx|json)$/i.test(ref) ? resolve(ref) : ref;
}

async function copyAtomic(src: string, dest: string): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await copyFile(src, tmp);
  await rename(tmp, dest);
}
