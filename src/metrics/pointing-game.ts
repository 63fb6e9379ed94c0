/**
 * The pointing game (Zhang et al., 2016), as TorchRay's benchmark accumulator: a map "points" at
 * its maximum; the point hits when it lies within `tolerance` pixels of a ground-truth box.
 */

/** [x0, y0, x1, y1], inclusive, in model-input pixels (x = column, y = row). */
export type Box = readonly [number, number, number, number];

/**
 * How a map whose maximum is shared by several pixels points:
 * - 'all' (default): every maximiser must hit. A flat or saturated map then cannot score by
 *   luck, which matters here because masks saturate at exactly 1 over whole regions.
 * - 'first': the first maximiser in row-major order, as `argmax` in TorchRay's examples.
 */
export type TieRule = 'all' | 'first';

export class PointingGame {
  hits = 0;
  misses = 0;

  constructor(readonly ties: TieRule = 'all') {}

  /** Score one map (row-major h×w) against its boxes; returns whether it hit. */
  add(map: ArrayLike<number>, h: number, w: number, boxes: readonly Box[], tolerance = 15): boolean {
    if (map.length !== h * w) throw new RangeError(`pointing game: map has ${map.length} values, ${h}x${w} needs ${h * w}`);
    if (boxes.length === 0) throw new RangeError('pointing game: no boxes (TorchRay skips such images; skip them before add)');
    const points = maximisers(map);
    if (points.length === 0) throw new RangeError('pointing game: the map has no finite maximum');
    const scored = this.ties === 'first' ? points.slice(0, 1) : points;
    const hit = scored.every((i) => nearAnyBox(i % w, Math.floor(i / w), boxes, tolerance));
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  /** hits / (hits + misses); 0 before anything was added (TorchRay clamps the count to 1). */
  get accuracy(): number {
    return this.hits / Math.max(1, this.hits + this.misses);
  }

  reset(): void {
    this.hits = 0;
    this.misses = 0;
  }
}

/** Indices of the map's (finite) maximum, ascending. */
function maximisers(map: ArrayLike<number>): number[] {
  let best = -Infinity;
  let out: number[] = [];
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (!Number.isFinite(v)) continue;
    if (v > best) {
      best = v;
      out = [i];
    } else if (v === best) out.push(i);
  }
  return out;
}

/**
 * Inside a box, or Euclidean distance to its nearest pixel strictly below `tolerance`
 * (TorchRay's `d² < tol²`); the inside test keeps tolerance 0 meaning "inside only".
 */
function nearAnyBox(x: number, y: number, boxes: readonly Box[], tolerance: number): boolean {
  return boxes.some(([x0, y0, x1, y1]) => {
    const dx = Math.max(x0 - x, 0, x - x1);
    const dy = Math.max(y0 - y, 0, y - y1);
    const d2 = dx * dx + dy * dy;
    return d2 === 0 || d2 < tolerance * tolerance;
  });
}

/**
 * Fraction of the map's positive mass inside the union of the boxes (the "energy-based" pointing
 * game of Score-CAM); negative values count as 0. 0 when the map has no positive mass.
 */
export function energyInBoxes(map: ArrayLike<number>, w: number, boxes: readonly Box[]): number {
  if (map.length % w !== 0) throw new RangeError(`energyInBoxes: ${map.length} values is not a multiple of width ${w}`);
  const h = map.length / w;
  const inside = new Uint8Array(map.length);
  for (const [x0, y0, x1, y1] of boxes) {
    for (let y = Math.max(0, y0); y <= Math.min(h - 1, y1); y++) {
      for (let x = Math.max(0, x0); x <= Math.min(w - 1, x1); x++) inside[y * w + x] = 1;
    }
  }
  let total = 0;
  let within = 0;
  for (let i = 0; i < map.length; i++) {
    const v = map[i]!;
    if (!(v > 0)) continue;
    total += v;
    if (inside[i]) within += v;
  }
  return total > 0 ? within / total : 0;
}
