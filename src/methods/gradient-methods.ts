import { gradCamMethod } from './grad-cam.js';
import { gradientMethod } from './gradient.js';
import { integratedGradientsMethod } from './integrated-gradients.js';
import type { ExplanationMethod } from './method.js';
import { smoothgradMethod } from './smoothgrad.js';

export { gradCamMethod } from './grad-cam.js';
export { gradientMethod } from './gradient.js';
export { integratedGradientsMethod } from './integrated-gradients.js';
export { smoothgradMethod } from './smoothgrad.js';

/** The gradient family, cheap baselines beside NeuroMask (one backward pass to a few dozen). */
export const GRADIENT_METHODS: readonly ExplanationMethod[] = [gradientMethod, smoothgradMethod, integratedGradientsMethod, gradCamMethod];
