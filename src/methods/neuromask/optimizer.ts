/** Optimisers over a flat Float32Array of parameters, updated in place. Pure state + step. */
export interface Optimizer {
  /** One update in place; `lr` overrides the optimiser's base rate for this step (schedules). */
  step(params: Float32Array, grad: Float32Array, lr?: number): void;
}

export interface RmsPropOptions {
  lr: number;
  decay?: number;
  epsilon?: number;
  /** TF1 starts the mean-square accumulator at 1, which damps the first ~100 steps. */
  initialAccumulator?: number;
}

/** RMSProp with TensorFlow 1 semantics (momentum 0): ms ← ρ·ms + (1-ρ)·g²; w ← w − lr·g/√(ms + ε). */
export function rmsprop(size: number, o: RmsPropOptions): Optimizer {
  const decay = o.decay ?? 0.9;
  const eps = o.epsilon ?? 1e-10;
  const ms = new Float64Array(size).fill(o.initialAccumulator ?? 1);
  return {
    step(params, grad, lr = o.lr) {
      for (let i = 0; i < size; i++) {
        const g = grad[i]!;
        const m = decay * ms[i]! + (1 - decay) * g * g;
        ms[i] = m;
        params[i] = params[i]! - (lr * g) / Math.sqrt(m + eps);
      }
    },
  };
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam (Kingma & Ba) with bias correction, as in PyTorch. */
export function adam(size: number, o: AdamOptions): Optimizer {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-8;
  const m = new Float64Array(size);
  const v = new Float64Array(size);
  let t = 0;
  return {
    step(params, grad, lr = o.lr) {
      t++;
      const c1 = 1 - b1 ** t;
      const c2 = 1 - b2 ** t;
      for (let i = 0; i < size; i++) {
        const g = grad[i]!;
        m[i] = b1 * m[i]! + (1 - b1) * g;
        v[i] = b2 * v[i]! + (1 - b2) * g * g;
        params[i] = params[i]! - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    },
  };
}
