/** Seeded pseudo-random numbers (mulberry32): small, fast, and the same in Node and browsers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** An endless stream of standard normal samples (Box-Muller), fixed by the seed. */
export function gaussianStream(seed: number): () => number {
  const r = rng(seed);
  return () => Math.sqrt(-2 * Math.log(Math.max(r(), 1e-12))) * Math.cos(2 * Math.PI * r());
}

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const next = gaussianStream(seed);
  return Float32Array.from({ length: n }, () => scale * next());
}
