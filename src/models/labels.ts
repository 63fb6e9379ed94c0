import { UnknownLabelError } from '../errors/unknown-label-error.js';

export interface Labelled {
  labels: string[] | undefined;
  numClasses: number;
}

/** ImageNet labels list synonyms: 'malamute, malemute, Alaskan malamute'. */
function synonyms(label: string): string[] {
  return label.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function suggest(labels: readonly string[], want: string): string[] {
  const scored: { label: string; score: number }[] = [];
  for (const label of labels) {
    let best = Infinity;
    for (const s of synonyms(label)) {
      // A substring match ("husky" in "Siberian husky") is as good as a one-letter typo.
      best = Math.min(best, s.includes(want) || want.includes(s) ? 1 : editDistance(s, want));
    }
    if (best <= Math.max(2, Math.floor(want.length / 3))) scored.push({ label, score: best });
  }
  return scored.sort((x, y) => x.score - y.score).slice(0, 5).map((s) => s.label);
}

function byIndex(c: Labelled, i: number, target: string | number): number {
  if (!Number.isInteger(i) || i < 0 || i >= c.numClasses) {
    throw new UnknownLabelError(target, `class index ${target} is out of range: valid indices are 0..${c.numClasses - 1}`);
  }
  return i;
}

/**
 * A class index from a number, a numeric string, a full label or one of its comma-separated
 * synonyms (case-insensitive). A full-label match wins over a synonym; several matches are an error.
 */
export function labelIndex(c: Labelled, target: string | number): number {
  if (typeof target === 'number') return byIndex(c, target, target);
  const want = target.trim().toLowerCase();
  if (/^\d+$/.test(want)) return byIndex(c, Number(want), target);
  const labels = c.labels;
  if (!labels) {
    throw new UnknownLabelError(target, `class '${target}': this model has no labels; give a class index 0..${c.numClasses - 1}`);
  }
  for (const match of [(l: string) => l.trim().toLowerCase() === want, (l: string) => synonyms(l).includes(want)]) {
    const hits = labels.flatMap((l, i) => (match(l) ? [i] : []));
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) {
      const list = hits.map((i) => `${i} '${labels[i]}'`).join(', ');
      throw new UnknownLabelError(target, `class '${target}' is ambiguous: ${list}; give the index instead`);
    }
  }
  const close = suggest(labels, want);
  const hint = close.length > 0 ? `; did you mean ${close.map((l) => `'${l}'`).join(', ')}?` : '';
  throw new UnknownLabelError(target, `unknown class '${target}' (${labels.length} labels, or an index 0..${c.numClasses - 1})${hint}`, close);
}
