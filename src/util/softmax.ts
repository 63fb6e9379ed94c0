/** Softmax of one row of logits (numerically stable). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= s;
  return out;
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Probabilities from a model's output row, whether it gives logits or probabilities. */
export function toProbabilities(row: ArrayLike<number>, kind: 'logits' | 'probabilities'): Float64Array {
  return kind === 'logits' ? softmax(row) : Float64Array.from(row as ArrayLike<number>);
}
