import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { decodeNpy } from '../io/npy.js';
import type { EvalResults, PairResult } from '../eval/types.js';
import { UsageError } from '../errors/usage-error.js';
import { HttpError } from './errors.js';

export interface ResultsRow extends PairResult {
  /** The model's top-1 on the image differs from the target (a labelled manifest); null when unknown. */
  misclassified: boolean | null;
  predicted: number | null;
}

export interface ResultsView {
  model: string;
  methods: string[];
  seed: number;
  rows: ResultsRow[];
}

/**
 * The output of `compare`/`evaluate` in `dir`, read once at start: results.json and, per pair,
 * `pairs/<image>/<method>.npy`. Requests name an image id and a method from that file, never a path.
 */
export class ResultsBrowser {
  private constructor(
    readonly dir: string,
    readonly results: EvalResults,
  ) {}

  static async open(dir: string): Promise<ResultsBrowser> {
    let text: string;
    try {
      text = await readFile(join(dir, 'results.json'), 'utf8');
    } catch (cause) {
      throw new UsageError(`--results ${dir}: no results.json there (the output folder of neuromask compare or evaluate)`, { cause });
    }
    const r = JSON.parse(text) as EvalResults;
    if (!Array.isArray(r.pairs) || !Array.isArray(r.images)) throw new UsageError(`--results ${dir}: results.json has no pairs (not written by compare or evaluate)`);
    return new ResultsBrowser(dir, r);
  }

  /** The source file of image `id`, as results.json records it (relative paths from the folder the run started in). */
  sourceOf(id: string): string {
    const img = this.results.images.find((i) => i.id === id);
    if (!img) throw new HttpError(404, `no image ${JSON.stringify(id)} in these results`);
    return isAbsolute(img.source) ? img.source : resolve(img.source);
  }

  async map(id: string, method: string): Promise<{ data: Float32Array; height: number; width: number }> {
    if (!this.results.pairs.some((p) => p.image === id && p.method === method)) throw new HttpError(404, `no ${method} result for ${JSON.stringify(id)} in these results`);
    const npy = decodeNpy(await readFile(join(this.dir, 'pairs', id, `${method}.npy`)));
    const [height = 0, width = 0] = npy.shape;
    return { data: npy.data, height, width };
  }

  view(predicted: ReadonlyMap<string, number>): ResultsView {
    const rows = this.results.pairs.map((p) => {
      const top = predicted.get(p.image);
      return { ...p, predicted: top ?? null, misclassified: top === undefined ? null : top !== p.target.index };
    });
    return { model: this.results.model, methods: this.results.methods, seed: this.results.seed, rows };
  }
}
