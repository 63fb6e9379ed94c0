import type { ExtraMetrics, PairResult } from '../eval/runner.js';

export interface PointingScore {
  hits: number;
  misses: number;
  accuracy: number;
}

/** The numeric columns of a pair that get a per-method mean. */
export const METRIC_KEYS = [
  'deletionAuc', 'insertionAuc', 'maskArea', 'maskedProbability', 'energyInBox', 'stability', 'sanityTop', 'sanityAll',
  'seconds', 'forwardPasses', 'backwardPasses',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** The opt-in columns: shown when the run computed them (`--stability k`, `--sanity`), whatever their values. */
const EXTRA_KEYS: Partial<Record<MetricKey, (x: ExtraMetrics) => boolean>> = {
  stability: (x) => x.stability >= 2,
  sanityTop: (x) => x.sanity,
  sanityAll: (x) => x.sanity,
};

/** The columns of the tables: each metric some method has, the opt-in ones when computed. */
export function metricKeysShown(summary: readonly MethodSummary[], extras: ExtraMetrics = { stability: 0, sanity: false }): MetricKey[] {
  return METRIC_KEYS.filter((k) => EXTRA_KEYS[k]?.(extras) ?? summary.some((s) => s.means[k] !== null));
}

export interface MethodSummary {
  method: string;
  pairs: number;
  /** Mean over the pairs where the value is not null; null when it is null everywhere. */
  means: Record<MetricKey, number | null>;
  /** Null when no image had boxes. */
  pointing: PointingScore | null;
}

export function mean(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function summarise(pairs: readonly PairResult[], methods: readonly string[], pointing: ReadonlyMap<string, PointingScore>): MethodSummary[] {
  return methods.map((method) => {
    const own = pairs.filter((p) => p.method === method);
    const means = Object.fromEntries(METRIC_KEYS.map((k) => [k, mean(own.map((p) => p[k]))])) as Record<MetricKey, number | null>;
    return { method, pairs: own.length, means, pointing: pointing.get(method) ?? null };
  });
}

/** Column titles shared by the HTML and text tables; arrows say which way is better. */
export const METRIC_TITLES: Record<MetricKey, string> = {
  deletionAuc: 'deletion AUC ↓',
  insertionAuc: 'insertion AUC ↑',
  maskArea: 'mask area',
  maskedProbability: 'masked p',
  energyInBox: 'energy in box ↑',
  stability: 'stability ρ ↑',
  sanityTop: 'sanity ρ top ↓',
  sanityAll: 'sanity ρ all ↓',
  seconds: 'seconds',
  forwardPasses: 'forward passes',
  backwardPasses: 'backward passes',
};

export function formatMetric(k: MetricKey, v: number | null): string {
  if (v === null) return '–';
  if (Number.isNaN(v)) return 'n/a'; // a correlation with a constant map: undefined
  if (k === 'forwardPasses' || k === 'backwardPasses') return v.toFixed(0);
  if (k === 'seconds') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  return v.toFixed(3);
}

/** The per-method table as aligned text, for stdout. Pointing first when there is one. */
export function summaryText(summary: readonly MethodSummary[], extras?: ExtraMetrics): string {
  const withPointing = summary.some((s) => s.pointing !== null);
  const keys = metricKeysShown(summary, extras);
  const head = ['method', 'pairs', ...(withPointing ? ['pointing game'] : []), ...keys.map((k) => METRIC_TITLES[k])];
  const rows = summary.map((s) => [
    s.method,
    String(s.pairs),
    ...(withPointing ? [s.pointing ? `${s.pointing.accuracy.toFixed(3)} (${s.pointing.hits}/${s.pointing.hits + s.pointing.misses})` : '–'] : []),
    ...keys.map((k) => formatMetric(k, s.means[k])),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
