/** Markdown tables and the timing rule shared by every benchmark (bench/torch/timing.py mirrors it). */

export interface Timing {
  /** Warm-up runs, not measured (first runs allocate and tune kernels); one only when it alone exceeds the budget. */
  warmup: number;
  maxRuns: number;
  /** Measured runs are as many as fit this many ms (at least 3), so slow configs do not dominate the run time. */
  budgetMs: number;
}

export async function medianMs(fn: () => Promise<unknown>, t: Timing): Promise<{ ms: number; runs: number }> {
  let last = 0;
  for (let i = 0, spent = 0; i < t.warmup && spent < t.budgetMs; i++, spent += last) {
    const t0 = performance.now();
    await fn();
    last = performance.now() - t0;
  }
  const runs = Math.max(3, Math.min(t.maxRuns, Math.floor(t.budgetMs / Math.max(last, 1e-3))));
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)]!, runs };
}

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Fixed decimals, sized to the value; '—' when there is nothing to show. */
export function num(v: number | undefined, digits = v !== undefined && Math.abs(v) >= 100 ? 0 : 1): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** baseline / ours: above 1 means we are faster. */
export function ratio(baseline: number | undefined, ours: number | undefined): string {
  return baseline === undefined || ours === undefined ? '—' : `${(baseline / ours).toFixed(2)}×`;
}
