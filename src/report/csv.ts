import type { PairResult } from '../eval/runner.js';
import type { MethodSummary } from './summary.js';

export const CSV_COLUMNS = [
  'image', 'method', 'target', 'target_label', 'deletion_auc', 'insertion_auc', 'mask_area', 'masked_probability',
  'seconds', 'forward_passes', 'backward_passes', 'pointing_hit', 'energy_in_box',
] as const;

/** RFC 4180: quote a field holding a comma, quote or line break (ImageNet labels have commas). */
function field(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One row per pair, then one row per method whose `image` is `(mean)` (ids never hold parentheses): the means over its pairs
 * (pointing_hit's mean is the pointing-game accuracy). Empty cells are nulls.
 */
export function resultsCsv(pairs: readonly PairResult[], summary: readonly MethodSummary[]): string {
  const rows: (string | number | boolean | null | undefined)[][] = pairs.map((p) => [
    p.image, p.method, p.target.index, p.target.label, p.deletionAuc, p.insertionAuc, p.maskArea, p.maskedProbability,
    p.seconds, p.forwardPasses, p.backwardPasses, p.pointingHit, p.energyInBox,
  ]);
  for (const s of summary) {
    const m = s.means;
    rows.push([
      '(mean)', s.method, null, null, m.deletionAuc, m.insertionAuc, m.maskArea, m.maskedProbability,
      m.seconds, m.forwardPasses, m.backwardPasses, s.pointing?.accuracy, m.energyInBox,
    ]);
  }
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(field).join(','))].join('\n') + '\n';
}
