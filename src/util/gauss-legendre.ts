export interface Quadrature {
  /** Ascending nodes in [a, b]. */
  nodes: Float64Array;
  /** Weights summing to b − a. */
  weights: Float64Array;
}

/** P_n(x) and P_n'(x) by the three-term recurrence. */
function legendre(n: number, x: number): [number, number] {
  let p0 = 1;
  let p1 = x;
  for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
  const p = n === 0 ? 1 : p1;
  const dp = n === 0 ? 0 : (n * (x * p1 - p0)) / (x * x - 1);
  return [p, dp];
}

/**
 * n-point Gauss–Legendre rule on [a, b]: the roots of P_n found by Newton's method from the
 * Tricomi-style guesses cos(π(i − ¼)/(n + ½)), which converge in a few steps for any n.
 */
export function gaussLegendre(n: number, a = 0, b = 1): Quadrature {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Gauss-Legendre needs n ≥ 1 points, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  // Roots are symmetric about 0: solve for the upper half and mirror.
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      const [p, d] = legendre(n, x);
      dp = d;
      const dx = p / d;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    dp = legendre(n, x)[1];
    const w = 2 / ((1 - x * x) * dp * dp);
    // i = 0 is the largest root; store ascending.
    nodes[n - 1 - i] = mid + half * x;
    nodes[i] = mid - half * x;
    weights[n - 1 - i] = half * w;
    weights[i] = half * w;
  }
  return { nodes, weights };
}
