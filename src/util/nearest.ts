/**
 * Optimal-string-alignment (restricted Damerau-Levenshtein) distance: insertions, deletions,
 * substitutions and swaps of two neighbours each cost 1, so `iteartions` is 1 from `iterations`.
 */
export function editDistance(a: string, b: string): number {
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(n + 1).fill(i);
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row[j] = d;
    }
    prev2 = prev;
    prev = row;
  }
  return prev[n]!;
}

/**
 * The candidate closest to `name` (case-insensitive), or undefined when none is close enough to be
 * a plausible typo: at most 60% of the longer name's characters may differ.
 */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD && d <= Math.floor(0.6 * Math.max(name.length, c.length))) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** "; did you mean 'x'?" when a close candidate exists, else "". */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const n = nearestName(name, candidates);
  return n === undefined ? '' : `; did you mean '${n}'?`;
}
