/** What every explanation method returns: a map at the model's input resolution, and its cost. */
export interface AttributionMap {
  /** Row-major [height, width]. */
  map: Float32Array;
  height: number;
  width: number;
}

export interface Cost {
  forwardPasses: number;
  backwardPasses: number;
  seconds: number;
}

export interface TargetInfo {
  index: number;
  label: string | undefined;
}

export interface ClassProbability {
  index: number;
  label: string | undefined;
  probability: number;
}

/** What the explained tensor is, as result.json records it. */
export interface ModelOutputInfo {
  /** The tensor explained: 'logits', or the model's own 'probabilities' when its card says so. */
  kind: 'logits' | 'probabilities';
  /** The graph's final Softmax/LogSoftmax was removed to reach the logits; probabilities are their softmax. */
  strippedSoftmax: boolean;
}

export function modelOutputInfo(c: { outputKind: ModelOutputInfo['kind']; strippedSoftmax: boolean }): ModelOutputInfo {
  return { kind: c.outputKind, strippedSoftmax: c.strippedSoftmax };
}
