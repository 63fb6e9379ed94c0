export type PreprocessPreset = 'imagenet' | 'inception' | 'zero-one' | 'minus-one-one';

/**
 * Common value ranges a classifier expects, as (x − mean) / std of pixels in [0, 1].
 * 'inception' and 'minus-one-one' are the same numbers (x·2 − 1), under the name each community uses.
 */
export const PREPROCESS_PRESETS: Readonly<Record<PreprocessPreset, { readonly mean: number[]; readonly std: number[] }>> = {
  /** torchvision / timm ImageNet models. */
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  inception: { mean: [0.5], std: [0.5] },
  'zero-one': { mean: [0], std: [1] },
  'minus-one-one': { mean: [0.5], std: [0.5] },
};

export const PRESET_NAMES = Object.keys(PREPROCESS_PRESETS) as PreprocessPreset[];
