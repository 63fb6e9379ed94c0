import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import type { ValueInfo } from '../onnx/types.js';
import { PREPROCESS_PRESETS, type PreprocessPreset } from './preprocess-presets.js';
import type { PreprocessSpecSchema } from './spec.js';

type SpecInput = Partial<z.input<typeof PreprocessSpecSchema>>;

/** What loadClassifier took for a model without a card: facts read off the graph, and guesses. */
export interface NoCard {
  /** Values nobody gave: the user should check them (e.g. 'imagenet preprocessing (mean …, std …)'). */
  assumed: string[];
  /** Values read off the graph (e.g. '224×224'). */
  fromGraph: string[];
  /** Where a card would be found. */
  cardPaths: string[];
}

const fmt = (v: readonly number[]): string => v.join(',');
const isChannelDim = (d: unknown): boolean => d === 1 || d === 3;

/** NCHW unless the graph says NHWC (channels last only), or the model is TF.js (always NHWC). */
function layoutOf(shape: ValueInfo['shape'], tfjs: boolean): { layout: 'nchw' | 'nhwc'; known: boolean } {
  if (tfjs) return { layout: 'nhwc', known: true };
  if (shape.length !== 4) return { layout: 'nchw', known: false };
  if (isChannelDim(shape[1]) && !isChannelDim(shape[3])) return { layout: 'nchw', known: true };
  if (isChannelDim(shape[3]) && !isChannelDim(shape[1])) return { layout: 'nhwc', known: true };
  return { layout: 'nchw', known: false };
}

/**
 * The preprocessing of a model without a card: `over` (flags) first, then what the input's shape
 * says, then defaults a torchvision export (ONNX: ImageNet mean/std, centre crop) or a Keras/TF.js
 * model (pixels in [0, 1], stretched) most likely has; grey models get [0, 1] too. `fallbackSize` stands in for dynamic
 * height/width (inspect); without it they must be given.
 */
export function cardlessSpec(
  input: ValueInfo,
  o: { tfjs: boolean; over: SpecInput; cardPaths: string[]; source: string; fallbackSize?: [number, number] | undefined },
): { spec: SpecInput; noCard: NoCard } {
  const { tfjs, cardPaths, fallbackSize } = o;
  const assumed: string[] = [];
  const fromGraph: string[] = [];
  const shape = input.shape;
  const spec: SpecInput = { ...o.over };

  if (!spec.layout) {
    const l = layoutOf(shape, tfjs);
    spec.layout = l.layout;
    (l.known ? fromGraph : assumed).push(`${l.layout} layout`);
  }
  const [c, h, w] = shape.length !== 4 ? [] : spec.layout === 'nchw' ? shape.slice(1) : [shape[3], shape[1], shape[2]];
  if (!spec.channels && c === 1) {
    spec.channels = 'grey';
    fromGraph.push('1 channel (grey)');
  }
  if (!spec.inputSize) {
    if (typeof h === 'number' && typeof w === 'number') {
      spec.inputSize = [h, w];
      fromGraph.push(`${h}×${w}`);
    } else if (fallbackSize) {
      spec.inputSize = fallbackSize;
      assumed.push(`${fallbackSize.join('×')} (the graph's height and width are not fixed)`);
    } else {
      throw new ModelFormatError(
        `there is no model card and input '${input.name}' [${shape.join(',')}] has no fixed height and width: give the size (--size H,W) or write a card ${cardPaths.join(' or ')} (\`neuromask inspect --card\` prints one)`,
        { source: o.source },
      );
    }
  }
  // ImageNet statistics are for colour photos; a grey model (MNIST-like) more likely takes [0, 1].
  const presetName: PreprocessPreset = tfjs || spec.channels === 'grey' ? 'zero-one' : 'imagenet';
  const preset = PREPROCESS_PRESETS[presetName];
  if (!spec.mean && !spec.std) assumed.push(`${presetName} preprocessing (mean ${fmt(preset.mean)}, std ${fmt(preset.std)})`);
  else if (!spec.mean) assumed.push(`mean ${fmt(preset.mean)} (${presetName})`);
  else if (!spec.std) assumed.push(`std ${fmt(preset.std)} (${presetName})`);
  spec.mean ??= [...preset.mean];
  spec.std ??= [...preset.std];
  if (!spec.resize) {
    spec.resize = tfjs ? 'stretch' : 'center-crop';
    assumed.push(`${spec.resize} resize`);
  }
  return { spec, noCard: { assumed, fromGraph, cardPaths } };
}
