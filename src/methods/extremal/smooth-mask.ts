import type { GraphBuilder } from '../../onnx/builder.js';

/**
 * The geometry of TorchRay's `MaskGenerator`: mask parameters on a grid of `step` pixels, each
 * spreading over a disc of radius ~σ with the kernel exp(−2·max(d/σ − ½, 0)²), pooled by a soft
 * max (coldness 20) over the (2r+1)² parameters around each pixel. The full mask has a margin of
 * σ pixels on every side; the area constraint ranks the full mask, the perturbation uses the crop.
 */
export interface SmoothMaskGeometry {
  step: number;
  sigma: number;
  /** Parameter grid [h, w] = ⌈size / step⌉. */
  param: [number, number];
  /** Kernel radius r in parameter cells; K = (2r+1)² taps. */
  radius: number;
  /** Zero padding of the parameter grid, in cells. */
  padding: number;
  /** Grid after unfolding [h + 2·padding − 2r, …]. */
  mid: [number, number];
  /** Full mask [step·mid − step + 1, …], margin included. */
  full: [number, number];
  /** Crop offset (rounded margin) of the input-sized mask inside the full one. */
  offset: number;
  /**
   * Kernel weight of tap k at offset (dy, dx) inside a step×step cell: [step, step, K]. The weight
   * depends on a pixel's offset from the parameter cell it lies in, so one cell's worth serves all.
   */
  weights: Float32Array;
}

const COLDNESS = 20;
const kernel = (z: number): number => Math.exp(-2 * Math.max(z - 0.5, 0) ** 2);

export function smoothMaskGeometry(height: number, width: number, step: number, sigma: number): SmoothMaskGeometry {
  const margin = sigma;
  const padding = 1 + Math.ceil((margin + sigma) / step);
  const radius = 1 + Math.ceil(sigma / step);
  const param: [number, number] = [Math.ceil(height / step), Math.ceil(width / step)];
  const mid = param.map((z) => z + 2 * padding - 2 * radius) as [number, number];
  const full = mid.map((z) => step * z - step + 1) as [number, number];
  const offset = Math.round(margin);
  if (offset + height > full[0] || offset + width > full[1]) throw new Error(`extremal-perturbation: step ${step} and sigma ${sigma} leave no room for the mask`);
  const taps = 2 * radius + 1;
  const K = taps * taps;
  const weights = new Float32Array(step * step * K);
  // Pixel u of the full mask copies unfolded cell ⌊u/step⌋ (PyTorch's nearest upsampling by an
  // integer factor); tap k of that cell is the parameter ⌊u/step⌋ + k − padding, centred at
  // margin + step·(that index): the distance only depends on u mod step.
  for (let dy = 0; dy < step; dy++)
    for (let dx = 0; dx < step; dx++)
      for (let ky = 0; ky < taps; ky++)
        for (let kx = 0; kx < taps; kx++) {
          const d = Math.hypot(dy - margin - step * (ky - padding), dx - margin - step * (kx - padding));
          weights[(dy * step + dx) * K + ky * taps + kx] = kernel(d / sigma);
        }
  return { step, sigma, param, radius, padding, mid, full, offset, weights };
}

/**
 * Append the generator for A masks: parameters [A, 1, h, w] → full mask [A, 1, full…] and the
 * input-sized crop [A, 1, H, W]. The unfold is a Conv with one-hot kernels; the taps go last so
 * the soft max pools over the innermost axis (ONNX Runtime's Softmax on an inner axis is ~50×
 * slower); the nearest upsampling is a broadcast against the per-offset weights. TorchRay clamps
 * the pooled mask to [0, 1]; a soft max of values in [0, 1] already lies there, and a Clip would
 * stop the gradient at 0 (where PyTorch's clamp lets it through), so regions driven to 0 could
 * never come back: no Clip.
 */
export function appendSmoothMask(b: GraphBuilder, p: string, g: SmoothMaskGeometry, areas: number, size: [number, number]): { full: string; cropped: string } {
  const taps = 2 * g.radius + 1;
  const K = taps * taps;
  const onehot = new Float32Array(K * K);
  for (let k = 0; k < K; k++) onehot[k * K + k] = 1;
  const unfolded = b.add('Conv', [p, b.floats([K, 1, taps, taps], onehot, 'ep_unfold')], { kernel_shape: [taps, taps], dilations: [1, 1], pads: [g.padding, g.padding, g.padding, g.padding] });
  const [mh, mw] = g.mid;
  const s = g.step;
  // [A, cy, cx, dy·step + dx, K]: every pixel of a cell times the per-offset weights, the offset
  // axis next to the taps so the gradient sums one contiguous axis; pixels go back in raster order
  // only after pooling, on 1/K of the data.
  const cells = b.add('Reshape', [b.add('Transpose', [unfolded], { perm: [0, 2, 3, 1] }), b.ints([areas, mh, mw, 1, K])]);
  const v = b.add('Mul', [cells, b.floats([1, 1, 1, s * s, K], g.weights, 'ep_kernel')]);
  const soft = b.add('Softmax', [b.add('Mul', [v, b.scalar(COLDNESS)])], { axis: -1 });
  const pooled = b.add('ReduceSum', [b.add('Mul', [v, soft]), b.ints([4])], { keepdims: 0 });
  const raster = b.add('Reshape', [b.add('Transpose', [b.add('Reshape', [pooled, b.ints([areas, mh, mw, s, s])])], { perm: [0, 1, 3, 2, 4] }), b.ints([areas, mh * s, mw * s])]);
  const [fh, fw] = g.full;
  const full = b.add('Reshape', [b.add('Slice', [raster, b.ints([0, 0]), b.ints([fh, fw]), b.ints([1, 2])]), b.ints([areas, 1, fh, fw])]);
  const [H, W] = size;
  const cropped = b.add('Slice', [full, b.ints([g.offset, g.offset]), b.ints([g.offset + H, g.offset + W]), b.ints([2, 3])]);
  return { full, cropped };
}
