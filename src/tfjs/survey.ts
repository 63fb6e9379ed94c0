import { surveyGraphModel } from './graph/import.js';
import { surveyLayersModel } from './layers/import.js';
import { tfjsFormat, type TfjsFormat, type TfjsModelJson } from './types.js';

/** A TF.js model read but not converted: enough for `inspect` to say what blocks it. */
export interface TfjsSurvey {
  format: TfjsFormat;
  /** TF order (NHWC); undefined when the topology does not say. */
  inputShape: (number | null)[] | undefined;
  /** Layer classes or TF ops as stored, with counts. */
  sourceOps: Record<string, number>;
  /** Each layer or node without a converter: "LSTM 'lstm_1'". */
  missing: string[];
}

export function surveyTfjs(json: TfjsModelJson, source: string): TfjsSurvey {
  return tfjsFormat(json) === 'graph' ? surveyGraphModel(json) : surveyLayersModel(json, source);
}
