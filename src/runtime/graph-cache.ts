import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { cacheRoot, writable } from '../models/cache.js';
import type { Graph } from '../onnx/types.js';
import { sha256 } from '../util/sha256.js';

/**
 * A folder of ONNX Runtime's optimised models (the graph after its own fusions and layout
 * changes), one per built graph, so a later process skips building the graph (rewrites,
 * gradient, serialisation) and ORT's optimisation. Every entry is keyed by a hash of everything
 * that shapes it (model, graph recipe, this package's code, ORT version, CPU), written under a
 * temp name and renamed, and checked against its recorded sha256 on load: a damaged or stale
 * entry is deleted and rebuilt, never trusted. Deleting the folder is always safe.
 */
export class GraphCache {
  constructor(readonly dir: string) {}

  /**
   * `NEUROMASK_CACHE` (a folder, or `off`), else `<NEUROMASK_HOME>/graphs` when NEUROMASK_HOME
   * can be written (a read-only shared model folder is left alone: no cache).
   */
  static async fromEnv(): Promise<GraphCache | undefined> {
    const env = process.env['NEUROMASK_CACHE'];
    if (env === 'off' || env === '0') return undefined;
    if (env) return new GraphCache(env);
    const root = cacheRoot();
    const rootExists = await stat(root).then((s) => s.isDirectory(), () => false);
    if (rootExists && !(await writable(root))) return undefined;
    return new GraphCache(join(root, 'graphs'));
  }

  private paths(key: string): { model: string; meta: string } {
    return { model: join(this.dir, `${key}.ort.onnx`), meta: join(this.dir, `${key}.json`) };
  }

  /** The entry's bytes, or undefined when absent; a damaged entry is removed. */
  async load(key: string): Promise<Uint8Array | undefined> {
    const p = this.paths(key);
    let meta: { sha256?: unknown; size?: unknown };
    try {
      meta = JSON.parse(await readFile(p.meta, 'utf8')) as typeof meta;
    } catch {
      return undefined;
    }
    const bytes = await readFile(p.model).catch(() => undefined);
    if (!bytes || bytes.length !== meta.size || sha256(bytes) !== meta.sha256) {
      await this.remove(key);
      return undefined;
    }
    return bytes;
  }

  async remove(key: string): Promise<void> {
    const p = this.paths(key);
    await Promise.all([unlink(p.meta).catch(() => undefined), unlink(p.model).catch(() => undefined)]);
  }

  /** A fresh temp path in the folder for ORT to write an optimised model to. */
  async tempPath(): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    return join(this.dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}.onnx`);
  }

  /** Publish the file ORT wrote at `tmp` as `key`'s entry (model first, then its record). */
  async commit(key: string, tmp: string): Promise<void> {
    const p = this.paths(key);
    try {
      const bytes = await readFile(tmp);
      const metaTmp = `${tmp}.json`;
      await writeFile(metaTmp, JSON.stringify({ sha256: sha256(bytes), size: bytes.length, created: new Date().toISOString() }));
      await rename(tmp, p.model);
      await rename(metaTmp, p.meta);
    } finally {
      await unlink(tmp).catch(() => undefined);
      await unlink(`${tmp}.json`).catch(() => undefined);
    }
  }
}

let codeHash: string | undefined;

/** Hash of this package's own code (src/ or dist/, whichever runs): a code change invalidates every entry. */
export function codeFingerprint(): string {
  if (codeHash) return codeHash;
  const root = fileURLToPath(new URL('../', import.meta.url));
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) h.update(path.slice(root.length)).update(readFileSync(path));
    }
  };
  walk(root);
  return (codeHash = h.digest('hex'));
}

/** Hash of a graph's structure and weights. */
export function graphFingerprint(g: Graph): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ nodes: g.nodes, inputs: g.inputs, outputs: g.outputs, opsets: g.opsets }, (_, v: unknown) => (ArrayBuffer.isView(v) ? sha256(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) : typeof v === 'bigint' ? String(v) : v)));
  for (const [name, t] of [...g.initializers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${name}:${t.dtype}:${t.dims.join('x')}`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

/** The cache key of one graph: its recipe plus everything outside it that shapes ORT's optimised model. */
export function cacheKey(parts: Record<string, unknown>): string {
  const env = { code: codeFingerprint(), ort: ort.env.versions.node ?? '?', cpu: cpus()[0]?.model ?? '?', arch: arch() };
  return sha256(JSON.stringify({ ...parts, env })).slice(0, 32);
}
