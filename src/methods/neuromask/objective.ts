import type { GraphBuilder } from '../../onnx/builder.js';

/** Coefficients of the loss terms; a zero coefficient leaves its term out of the graph. */
export interface ObjectiveWeights {
  /** λ_pred: cross-entropy of the target on the masked image (the reference's term). */
  prediction: number;
  /** λ_sparse: mean |w + L| over the mask logits (reference; pulls every logit to -L). */
  sparsity: number;
  /** λ_smooth: mean (K ⊛ w)² with a Laplacian K over the logits (reference). */
  smoothness: number;
  /** Mean of the mask itself: its area (an L1 on m, as in Fong & Vedaldi). */
  area: number;
  /** Target probability on the complement-masked image (keep the class only where the mask is). */
  deletion: number;
}

/** The reference Laplacian: 3×3 with 8 in the centre, or 5×5 with 24, all others −1. */
export function laplacian(size: 3 | 5): Float32Array {
  const k = new Float32Array(size * size).fill(-1);
  k[(size * size - 1) / 2] = size * size - 1;
  return k;
}

export interface ObjectiveInputs {
  /** Mask logits [N,1,h,w]. */
  w: string;
  /** The mask at input resolution [N,1,H,W]. */
  mask: string;
  /** Model logits (or log-probabilities) for the masked images [N,K]. */
  logits: string;
  /** Logits for the complement-masked images [N,K], when the deletion term is on. */
  deletionLogits?: string;
  /** One-hot targets [N,K]. */
  target: string;
  /** Model returns probabilities: take their log instead of a log-softmax. */
  probabilities: boolean;
}

/** Per-sample loss terms, each [N]; `total` is their weighted sum. */
export interface ObjectiveOutputs {
  total: string;
  terms: Partial<Record<keyof ObjectiveWeights, string>>;
}

/** 'laplacian': the reference mean (K ⊛ w)², VALID; 'gradient': mean squared neighbour differences. */
export type SmoothnessKind = 'laplacian' | 'gradient';

export function buildObjective(
  b: GraphBuilder,
  io: ObjectiveInputs,
  weights: ObjectiveWeights,
  weightLimit: number,
  laplacianSize: 3 | 5,
  smoothness: SmoothnessKind = 'laplacian',
): ObjectiveOutputs {
  // Opset 17: ReduceSum takes axes as an input, ReduceMean still as an attribute.
  const perSample = (x: string, op: 'ReduceMean' | 'ReduceSum', axes: number[]): string =>
    op === 'ReduceSum' ? b.add(op, [x, b.ints(axes, 'axes')], { keepdims: 0 }) : b.add(op, [x], { axes, keepdims: 0 });
  const logProb = (logits: string): string =>
    io.probabilities ? b.add('Log', [b.add('Clip', [logits, b.scalar(1e-12, 'eps')])]) : b.add('LogSoftmax', [logits], { axis: -1 });
  const terms: ObjectiveOutputs['terms'] = {};
  if (weights.prediction) {
    terms.prediction = b.add('Neg', [perSample(b.add('Mul', [io.target, logProb(io.logits)]), 'ReduceSum', [1])]);
  }
  if (weights.sparsity) {
    terms.sparsity = perSample(b.add('Abs', [b.add('Add', [io.w, b.scalar(weightLimit, 'weight_limit')])]), 'ReduceMean', [1, 2, 3]);
  }
  if (weights.smoothness && smoothness === 'laplacian') {
    const k = b.floats([1, 1, laplacianSize, laplacianSize], laplacian(laplacianSize), 'laplacian');
    const c = b.add('Conv', [io.w, k], { kernel_shape: [laplacianSize, laplacianSize], dilations: [1, 1] });
    terms.smoothness = perSample(b.add('Mul', [c, c]), 'ReduceMean', [1, 2, 3]);
  } else if (weights.smoothness) {
    // Squared differences of neighbouring logits: unlike the VALID Laplacian, border cells are
    // regularised too, so the mask does not collect blobs along the image edges.
    const diff = (axis: number): string => {
      const ahead = b.add('Slice', [io.w, b.ints([1]), b.ints([1 << 30]), b.ints([axis])]);
      const behind = b.add('Slice', [io.w, b.ints([0]), b.ints([-1]), b.ints([axis])]);
      const d = b.add('Sub', [ahead, behind]);
      return perSample(b.add('Mul', [d, d]), 'ReduceMean', [1, 2, 3]);
    };
    terms.smoothness = b.add('Add', [diff(2), diff(3)]);
  }
  if (weights.area) terms.area = perSample(io.mask, 'ReduceMean', [1, 2, 3]);
  if (weights.deletion) {
    if (!io.deletionLogits) throw new Error('internal: deletion term needs complement logits');
    const p = io.probabilities ? io.deletionLogits : b.add('Softmax', [io.deletionLogits], { axis: -1 });
    terms.deletion = perSample(b.add('Mul', [io.target, p]), 'ReduceSum', [1]);
  }
  const weighted = (Object.keys(terms) as (keyof ObjectiveWeights)[]).map((k) =>
    weights[k] === 1 ? terms[k]! : b.add('Mul', [terms[k]!, b.scalar(weights[k], `lambda_${k}`)]),
  );
  const total = weighted.length === 1 ? b.add('Identity', weighted) : b.add('Sum', weighted);
  return { total, terms };
}
