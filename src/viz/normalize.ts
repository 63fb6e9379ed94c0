/**
 * Rescale to [0, 1] by the finite min and max. A constant (or all non-finite) map has no contrast
 * to show, so it becomes zeros rather than NaN; non-finite entries also become 0.
 */
export function minMaxNormalize(map: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of map) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Float32Array(map.length);
  const range = hi - lo;
  if (!(range > 0)) return out;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    out[i] = Number.isFinite(v) ? (v - lo) / range : 0;
  }
  return out;
}

/**
 * Clip to the [low, high] percentiles (NumPy's default linear interpolation), so a few extreme
 * gradient values do not flatten the rest of a saliency map once it is min-max normalised.
 */
export function percentileClip(map: Float32Array, low = 1, high = 99): Float32Array {
  if (!(low >= 0 && low <= high && high <= 100)) {
    throw new RangeError(`percentileClip: need 0 <= low <= high <= 100, got ${low}, ${high}`);
  }
  const sorted = Float32Array.from(map).filter(Number.isFinite).sort();
  if (sorted.length === 0) return Float32Array.from(map);
  const lo = percentile(sorted, low);
  const hi = percentile(sorted, high);
  return map.map((v) => (v < lo ? lo : v > hi ? hi : v));
}

function percentile(sorted: Float32Array, p: number): number {
  const pos = ((sorted.length - 1) * p) / 100;
  const i = Math.floor(pos);
  const a = sorted[i]!;
  const b = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return a + (b - a) * (pos - i);
}
