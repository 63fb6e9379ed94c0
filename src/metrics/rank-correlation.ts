/** Rank correlations between attribution maps (agreement across seeds, methods or models). */

/** 1-based ranks; tied values share the mean of the ranks they span (as scipy's `rankdata`). */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const ranks = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // A constant map has no ranking: the correlation is undefined, not 0.
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Pearson's r of two maps. NaN when either is constant. */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a, b);
  return pearson(Float64Array.from(a), Float64Array.from(b));
}

/** Spearman's ρ: Pearson correlation of average ranks. NaN when either input is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  check(a, b);
  return pearson(averageRanks(a), averageRanks(b));
}

function check(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`correlation: lengths differ (${a.length} vs ${b.length})`);
  if (a.length < 2) throw new RangeError('spearman: needs at least 2 values');
  if (hasNaN(a) || hasNaN(b)) throw new RangeError('spearman: NaN values cannot be ranked');
}

/** Mean ρ over all unordered pairs of maps, e.g. one method run with different seeds. */
export function meanPairwiseSpearman(maps: readonly ArrayLike<number>[]): number {
  if (maps.length < 2) throw new RangeError(`meanPairwiseSpearman: needs at least 2 maps, got ${maps.length}`);
  for (const m of maps) check(m, maps[0]!);
  const ranks = maps.map(averageRanks);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < maps.length; i++) {
    for (let j = i + 1; j < maps.length; j++) {
      sum += pearson(ranks[i]!, ranks[j]!);
      pairs++;
    }
  }
  return sum / pairs;
}

function hasNaN(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (Number.isNaN(v[i]!)) return true;
  return false;
}
