import { listModels } from '../models/list.js';
import { loadClassifier, type Classifier } from '../models/classifier.js';
import { Engine } from '../runtime/engine.js';
import type { RuntimeOptions } from '../runtime/session.js';
import { HttpError } from './errors.js';

/** What the page shows in its model picker. */
export interface ModelEntry {
  name: string;
  kind: string;
  classes: number;
  input: string;
}

/**
 * The models a page may pick, by name: the built-ins, installed package models, named models
 * already in the cache (never downloaded from here), and the operator's `--model`. Engines are
 * made once per model and kept.
 */
export class ModelPool {
  private readonly engines = new Map<string, Promise<Engine>>();
  private entries: ModelEntry[] | undefined;

  constructor(
    private readonly runtime: RuntimeOptions,
    private readonly signal: AbortSignal,
    /** The operator's --model (a name or a path); the default selection. */
    readonly preferred: string | undefined,
  ) {}

  async list(): Promise<ModelEntry[]> {
    if (this.entries) return this.entries;
    const rows = await listModels();
    const present = rows.filter((r) => r.kind === 'built-in' || (r.location !== 'not downloaded' && !r.location.startsWith('not installed')));
    const entries: ModelEntry[] = present.map((r) => ({ name: r.name, kind: r.kind, classes: r.classes, input: r.input }));
    if (this.preferred && !entries.some((e) => e.name === this.preferred)) {
      const c = await loadClassifier(this.preferred, {}, { allowDownload: false });
      entries.unshift({ name: this.preferred, kind: 'given', classes: c.numClasses, input: `${c.spec.inputSize.join('x')} ${c.spec.channels}` });
    }
    this.entries = entries;
    return entries;
  }

  async engine(name: string): Promise<Engine> {
    if (!(await this.list()).some((e) => e.name === name)) throw new HttpError(404, `no model ${JSON.stringify(name)} here; the server offers ${(await this.list()).map((e) => e.name).join(', ')}`);
    let e = this.engines.get(name);
    if (!e) {
      e = loadClassifier(name, {}, { allowDownload: false }).then((c: Classifier) => new Engine(c, this.runtime, { signal: this.signal }));
      this.engines.set(name, e);
      e.catch(() => this.engines.delete(name));
    }
    return e;
  }

  async release(): Promise<void> {
    for (const e of this.engines.values()) await e.then((x) => x.release(), () => undefined);
    this.engines.clear();
  }
}
