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
