import { gaussianBlur } from '../../image/baseline.js';
import type { EngineCore } from '../../runtime/engine-core.js';
import { targetGradients } from '../../runtime/gradients.js';
import { minMaxNormalize } from '../../viz/normalize.js';

/**
 * How the default reads its mask as a saliency map. The learnt mask is smooth and coarse: it says
 * which region keeps the decision, not which pixels inside it matter most, and the deletion and
 * insertion metrics rank pixels one by one. So the map is the mask scaled, inside it, by the
 * masked image's own evidence: |Σ_c ∂z_target/∂x_c · (x_c − b_c)| (gradient × input against the
 * baseline, on the masked image), blurred by `sigma` and normalised to [0, 1]:
 *
 *   map = mask · (1 + weight · evidence)
 *
 * Outside the mask the product stays near 0, so the map still points where the mask does; weight 0
 * gives the mask itself (the reference preset). Measured on the study photos in docs/study/findings.md.
 */
export interface Refinement {
  weight: number;
  /** Gaussian sigma of the evidence in input pixels (0: none). */
  sigma: number;
}

/** |Σ_c g_c · (x_c − b_c)| per pixel, CHW planes in, one plane out. */
export function evidence(grad: ArrayLike<number>, image: ArrayLike<number>, baseline: ArrayLike<number>, channels: number): Float32Array {
  const plane = image.length / channels;
  const e = new Float32Array(plane);
  for (let c = 0; c < channels; c++) {
    const o = c * plane;
    for (let i = 0; i < plane; i++) e[i]! += grad[o + i]! * (image[o + i]! - baseline[o + i]!);
  }
  for (let i = 0; i < plane; i++) e[i] = Math.abs(e[i]!);
  return e;
}

/** mask · (1 + weight · normalised, blurred evidence). */
export function refineMap(mask: Float32Array, ev: Float32Array, h: number, w: number, r: Refinement): Float32Array {
  if (mask.length !== h * w || ev.length !== h * w) throw new RangeError(`refineMap: mask ${mask.length}, evidence ${ev.length}, ${h}x${w} needs ${h * w}`);
  const e = minMaxNormalize(r.sigma > 0 ? gaussianBlur(ev, 1, h, w, r.sigma) : ev);
  return mask.map((m, i) => m * (1 + r.weight * e[i]!));
}

/**
 * The refined maps of n items at once: one gradient pass over the n masked images
 * (base + mask · (x − base)), batch n.
 */
export async function refinedMaps(
  engine: EngineCore,
  masks: readonly Float32Array[],
  images: Float32Array,
  baselines: Float32Array,
  targets: readonly number[],
  channels: number,
  [h, w]: readonly [number, number],
  r: Refinement,
): Promise<Float32Array[]> {
  const n = masks.length;
  const size = channels * h * w;
  const masked = new Float32Array(n * size);
  for (let k = 0; k < n; k++) {
    const m = masks[k]!;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < h * w; i++) {
        const j = k * size + c * h * w + i;
        masked[j] = baselines[j]! + m[i]! * (images[j]! - baselines[j]!);
      }
    }
  }
  const g = await targetGradients(engine, masked, n, targets);
  return masks.map((m, k) => {
    const at = (a: Float32Array): Float32Array => a.subarray(k * size, (k + 1) * size);
    return refineMap(m, evidence(at(g.grad), at(images), at(baselines), channels), h, w, r);
  });
}
