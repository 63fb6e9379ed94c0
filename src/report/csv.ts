import type { ExtraMetrics, PairResult } from '../eval/runner.js';
import type { MethodSummary } from './summary.js';

export const CSV_COLUMNS = [
  'image', 'method', 'target', 'target_label', 'deletion_auc', 'insertion_auc', 'mask_area', 'masked_probability',
  'seconds', 'forward_passes', 'backward_passes', 'pointing_hit', 'energy_in_box',
] as const;

/** Appended when the run computed them: `stability` with `--stability k`, the other two with `--sanity`. */
export const STABILITY_COLUMNS = ['stability'] as const;
export const SANITY_COLUMNS = ['sanity_top', 'sanity_all'] as const;

type Cell = string | number | boolean | null | undefined;

/** RFC 4180: quote a field holding a comma, quote or line break (ImageNet labels have commas). */
function field(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One row per pair, then one row per method whose `image` is `(mean)` (ids never hold parentheses): the means over its pairs
 * (pointing_hit's mean is the pointing-game accuracy). Empty cells are nulls; `NaN` is an undefined correlation (a constant
 * map), left out of the means.
 */
export function resultsCsv(pairs: readonly PairResult[], summary: readonly MethodSummary[], extras: ExtraMetrics = { stability: 0, sanity: false }): string {
  const stab = extras.stability >= 2;
  const extra = (stability: number | null, top: number | null, all: number | null): Cell[] => [...(stab ? [stability] : []), ...(extras.sanity ? [top, all] : [])];
  const rows: Cell[][] = pairs.map((p) => [
    p.image, p.method, p.target.index, p.target.label, p.deletionAuc, p.insertionAuc, p.maskArea, p.maskedProbability,
    p.seconds, p.forwardPasses, p.backwardPasses, p.pointingHit, p.energyInBox, ...extra(p.stability, p.sanityTop, p.sanityAll),
  ]);
  for (const s of summary) {
    const m = s.means;
    rows.push([
      '(mean)', s.method, null, null, m.deletionAuc, m.insertionAuc, m.maskArea, m.maskedProbability,
      m.seconds, m.forwardPasses, m.backwardPasses, s.pointing?.accuracy, m.energyInBox, ...extra(m.stability, m.sanityTop, m.sanityAll),
    ]);
  }
  const head = [...CSV_COLUMNS, ...(stab ? STABILITY_COLUMNS : []), ...(extras.sanity ? SANITY_COLUMNS : [])];
  return [head.join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}
