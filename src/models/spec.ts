import { z } from 'zod';

/**
 * How a classifier wants its pixels. The image is always decoded to [0, 1] first; the mask is
 * applied in that space and `(x - mean) / std` runs inside the graph after it (reference semantics).
 */
export const PreprocessSpecSchema = z
  .object({
    /** Model input [height, width]. */
    inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    /**
     * 'stretch': resize to inputSize ignoring aspect; 'center-crop': resize the shorter side to
     * `resizeShorter` (default: the input's shorter side) then crop the centre; 'pad': fit inside and pad black.
     */
    resize: z.enum(['stretch', 'center-crop', 'pad']).default('center-crop'),
    resizeShorter: z.number().int().positive().optional(),
    channels: z.enum(['rgb', 'bgr', 'grey']).default('rgb'),
    layout: z.enum(['nchw', 'nhwc']).default('nchw'),
    /** Per channel, in [0, 1] pixel units: model input = (x - mean) / std. */
    mean: z.array(z.number()).min(1).default([0]),
    std: z.array(z.number().positive()).min(1).default([1]),
  })
  .strict();

export type PreprocessSpec = z.output<typeof PreprocessSpecSchema>;

/** The JSON file that may sit beside a model (`<model>.json` or `neuromask.json`). */
export const ModelCardSchema = z
  .object({
    name: z.string().optional(),
    preprocess: PreprocessSpecSchema,
    labels: z.union([z.array(z.string()), z.string()]).optional(),
    /** Name of the input and output tensors when the graph has several. */
    input: z.string().optional(),
    output: z.string().optional(),
    /**
     * 'logits' or 'probabilities'. Unset, a final Softmax/LogSoftmax is removed and its logits
     * explained; 'probabilities' keeps the model's output as it is.
     */
    outputKind: z.enum(['logits', 'probabilities']).optional(),
  })
  .strict();

export type ModelCard = z.output<typeof ModelCardSchema>;

export function channelCount(spec: PreprocessSpec): number {
  return spec.channels === 'grey' ? 1 : 3;
}

/** The model input's shape for `batch` images at the card's size, in the card's layout. */
export function inputShape(spec: PreprocessSpec, batch: number): number[] {
  const [h, w] = spec.inputSize;
  const c = channelCount(spec);
  return spec.layout === 'nhwc' ? [batch, h, w, c] : [batch, c, h, w];
}
