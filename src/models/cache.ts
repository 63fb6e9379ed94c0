import { createHash, randomBytes } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ChecksumError } from '../errors/checksum-error.js';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { trackTemp, untrackTemp } from '../io/temp-registry.js';
import { findNamedModel, namedModelNames, type NamedModel, type RemoteFile } from './registry.js';

export interface DownloadProgress {
  file: string;
  received: number;
  total: number | undefined;
}

export interface ResolveOptions {
  allowDownload: boolean;
  /** Tests pass a fake; default: the global fetch. */
  fetchImpl?: (url: string) => Promise<Response>;
  onProgress?: (p: DownloadProgress) => void;
}

export interface ResolvedModel {
  entry: NamedModel;
  dir: string;
  modelPath: string;
  labelsPath: string | undefined;
}

/** `NEUROMASK_HOME`, else `~/.cache/neuromask`. */
export function cacheRoot(): string {
  const env = process.env['NEUROMASK_HOME'];
  return env && env.length > 0 ? env : join(homedir(), '.cache', 'neuromask');
}

export function namedModelDir(entry: NamedModel): string {
  return join(cacheRoot(), entry.dir);
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/** Whether files can be written in `dir`: a folder without write bits counts as read-only even for root. */
export async function writable(dir: string): Promise<boolean> {
  try {
    const st = await stat(dir);
    if ((st.mode & 0o222) === 0) return false;
    await access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Hashed on every use: a file corrupted in place can keep its size and mtime, so a record of those
 * would hide it. sha256 of the 3.6 MB MobileNetV2 takes 6 ms at best and 19-60 ms (medians) on a
 * loaded 2-core machine, next to seconds of loading and graph preparation.
 */
async function verifyExisting(dir: string, rf: RemoteFile): Promise<void> {
  const path = join(dir, rf.file);
  const actual = await sha256File(path);
  if (actual !== rf.sha256) {
    throw new ChecksumError(path, rf.sha256, actual, { hint: `delete it to download it again from ${rf.url}` });
  }
}

/** Stream to a temp file in the same directory, check, then rename: readers never see a partial file. */
async function download(dir: string, rf: RemoteFile, opts: ResolveOptions): Promise<void> {
  const path = join(dir, rf.file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${rf.file}.${randomBytes(6).toString('hex')}.part`);
  const fh = await open(tmp, 'w');
  trackTemp(tmp); // removed even when Ctrl-C ends the process mid-download
  try {
    const res = await (opts.fetchImpl ?? fetch)(rf.url);
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    const lenHeader = res.headers.get('content-length');
    const total = lenHeader ? Number(lenHeader) : rf.size;
    const hash = createHash('sha256');
    const reader = res.body.getReader();
    let received = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      hash.update(r.value);
      await fh.write(r.value);
      received += r.value.byteLength;
      opts.onProgress?.({ file: rf.file, received, total });
    }
    await fh.close();
    const actual = hash.digest('hex');
    if (actual !== rf.sha256) throw new ChecksumError(`${rf.url} (downloaded ${received} bytes)`, rf.sha256, actual);
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    untrackTemp(tmp);
  }
}

function howToPlace(entry: NamedModel, dir: string, rf: RemoteFile): string {
  return (
    `download ${rf.url} and save it as ${join(dir, rf.file)} (sha256 ${rf.sha256}, ${rf.size} bytes), ` +
    `or allow downloading (NEUROMASK_HOME sets the cache directory) for model '${entry.name}'`
  );
}

async function ensureFile(entry: NamedModel, dir: string, rf: RemoteFile, opts: ResolveOptions): Promise<string> {
  const path = join(dir, rf.file);
  const exists = await stat(path).then((s) => s.isFile(), () => false);
  if (exists) {
    await verifyExisting(dir, rf);
    return path;
  }
  if (!opts.allowDownload) {
    throw new ModelNotFoundError(entry.name, `${rf.file} for model '${entry.name}' is not in ${dir}; ${howToPlace(entry, dir, rf)}`, {
      searched: [path],
      url: rf.url,
    });
  }
  try {
    await download(dir, rf, opts);
  } catch (cause) {
    if (cause instanceof ChecksumError) throw cause;
    throw new ModelNotFoundError(
      entry.name,
      `could not download ${rf.url} (${(cause as Error).message}); ${howToPlace(entry, dir, rf)}`,
      { searched: [path], url: rf.url, cause },
    );
  }
  return path;
}

/** Find (or fetch) a named model's files in the cache and check their hashes. */
export async function resolveNamedModel(name: string, opts: ResolveOptions): Promise<ResolvedModel> {
  const entry = findNamedModel(name);
  if (!entry) {
    throw new ModelNotFoundError(name, `no named model '${name}'; known: ${namedModelNames().join(', ')}`);
  }
  const dir = namedModelDir(entry);
  const modelPath = await ensureFile(entry, dir, entry.model, opts);
  const labelsPath = entry.labels ? await ensureFile(entry, dir, entry.labels, opts) : undefined;
  return { entry, dir, modelPath, labelsPath };
}
