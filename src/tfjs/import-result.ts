import type { Graph } from '../onnx/types.js';
import type { TfjsFormat } from './types.js';

/** What an importer returns: the ONNX graph (NHWC input `inputName`, output `logits`) and facts about it. */
export interface TfjsImport {
  graph: Graph;
  format: TfjsFormat;
  inputName: string;
  /** TF order (NHWC), null for unknown dimensions. */
  inputShape: readonly (number | null)[];
  /** The model ended in softmax, which was removed so the output is logits. */
  strippedSoftmax: boolean;
  /** Layer classes (Layers models, nested ones included) or TF ops (Graph models) as stored, with counts. */
  sourceOps: Record<string, number>;
}
