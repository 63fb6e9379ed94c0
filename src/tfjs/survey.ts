import type { TfjsSurvey } from './blocked.js';
import { surveyGraphModel } from './graph/import.js';
import { surveyLayersModel } from './layers/import.js';
import { tfjsFormat, type TfjsModelJson } from './types.js';

export type { TfjsSurvey } from './blocked.js';

export function surveyTfjs(json: TfjsModelJson, source: string): TfjsSurvey {
  return tfjsFormat(json) === 'graph' ? surveyGraphModel(json) : surveyLayersModel(json, source);
}
