/**
 * Stopping when the mask has converged: the largest change of any mask cell (σ(w/T) on the
 * parameter grid, so a change of 0.01 is 1% of the mask's range) stays below `tolerance` for
 * `patience` consecutive steps. Tracks one item's logits; pure apart from its own counters.
 */
export class ConvergenceMonitor {
  private calm = 0;
  private readonly previous: Float32Array;

  constructor(
    initial: Float32Array,
    private readonly temperature: number,
    private readonly tolerance: number,
    private readonly patience: number,
  ) {
    this.previous = this.mask(initial);
  }

  private mask(w: Float32Array): Float32Array {
    return w.map((v) => 1 / (1 + Math.exp(-v / this.temperature)));
  }

  /** Largest mask change since the last call (the logits after one more step). */
  change(w: Float32Array): number {
    let max = 0;
    for (let i = 0; i < w.length; i++) {
      const m = 1 / (1 + Math.exp(-w[i]! / this.temperature));
      const d = Math.abs(m - this.previous[i]!);
      if (d > max) max = d;
      this.previous[i] = m;
    }
    return max;
  }

  /** Record the logits after a step; true once the mask has been still for `patience` steps. */
  update(w: Float32Array): boolean {
    if (this.tolerance <= 0) return false;
    this.calm = this.change(w) < this.tolerance ? this.calm + 1 : 0;
    return this.calm >= this.patience;
  }
}
