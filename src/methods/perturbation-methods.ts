import { extremalPerturbationMethod } from './extremal-perturbation.js';
import type { ExplanationMethod } from './method.js';
import { meaningfulPerturbationMethod } from './meaningful-perturbation.js';
import { occlusionMethod } from './occlusion.js';
import { riseMethod } from './rise.js';

/** The perturbation-based methods: they explain by changing the input and watching the output. */
export const PERTURBATION_METHODS: readonly ExplanationMethod[] = [occlusionMethod, riseMethod, meaningfulPerturbationMethod, extremalPerturbationMethod];
