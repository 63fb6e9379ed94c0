import { z } from 'zod';
import { PRESET_NAMES } from './presets.js';

/** User-facing NeuroMask options, validated once at the edge; anything unset comes from the preset. */
export const NeuroMaskOptionsSchema = z
  .object({
    preset: z.enum(PRESET_NAMES).default('default'),
    target: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    iterations: z.number().int().positive().optional(),
    optimizer: z.enum(['rmsprop', 'adam']).optional(),
    learningRate: z.number().positive().optional(),
    schedule: z.enum(['constant', 'cosine']).optional(),
    /** Early stop: largest mask change per step (0…1) below which the mask counts as still; 0 = off. */
    tolerance: z.number().nonnegative().max(1).optional(),
    patience: z.number().int().positive().optional(),
    /** Coarse-to-fine block sizes, one per equal share of the iterations, e.g. [4, 2, 1]. */
    stages: z.array(z.number().int().positive()).max(8).optional(),
    temperature: z.number().positive().optional(),
    weightLimit: z.number().positive().optional(),
    laplacianSize: z.union([z.literal(3), z.literal(5)]).optional(),
    smoothnessKind: z.enum(['laplacian', 'gradient']).optional(),
    prediction: z.number().nonnegative().optional(),
    sparsity: z.number().nonnegative().optional(),
    smoothness: z.number().nonnegative().optional(),
    area: z.number().nonnegative().optional(),
    deletion: z.number().nonnegative().optional(),
    maskScale: z.number().int().positive().optional(),
    init: z.enum(['uniform', 'constant']).optional(),
    initValue: z.number().optional(),
    baseline: z.enum(['black', 'blur', 'mean']).optional(),
    blurSigma: z.number().nonnegative().optional(),
    /** Weight of the gradient × input refinement of the map (0: the map is the mask). */
    refine: z.number().nonnegative().optional(),
    /** Gaussian sigma (input pixels) of that refinement's evidence. */
    refineSigma: z.number().nonnegative().optional(),
    seed: z.number().int().nonnegative().default(0),
    /** Keep every k-th mask (0 = no history). */
    historyEvery: z.number().int().nonnegative().default(0),
    /** Images (or restarts) optimised together in one session run. */
    batchSize: z.number().int().positive().default(8),
  })
  .strict();

export type NeuroMaskOptionsInput = z.input<typeof NeuroMaskOptionsSchema>;
export type NeuroMaskOptions = z.output<typeof NeuroMaskOptionsSchema>;
