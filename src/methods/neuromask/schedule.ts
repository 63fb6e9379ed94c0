/**
 * How the learning rate moves over a run. 'constant' is the reference's (and any optimiser
 * without a schedule); 'cosine' anneals from the base rate to `floor`·base at the last step, so a
 * short run can take large early steps and still settle (a constant rate keeps Adam's steps at
 * ≈ lr to the end, so the mask never stops moving).
 */
export type LrSchedule = 'constant' | 'cosine';

/** Cosine floor: the last step's rate as a fraction of the base rate. */
export const COSINE_FLOOR = 0.05;

/** Learning rate for step `it` (0-based) of `iterations`. */
export function scheduledRate(schedule: LrSchedule, base: number, it: number, iterations: number): number {
  if (schedule === 'constant' || iterations <= 1) return base;
  const t = Math.min(1, it / (iterations - 1));
  return base * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
