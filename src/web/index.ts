// The browser entry point (`neuromask/web`): the platform-free core with onnxruntime-web under it.
// Nothing reachable from here may import a Node module (test/web-imports.test.ts checks it).
export { Engine } from './engine.js';
export { loadClassifier, type ModelSource, type WebLoadOptions } from './load-classifier.js';
export { imageTensor, type WebImageSource } from './image.js';
export { maskToRgba, rgbToRgba, type MaskPixelsOptions } from './pixels.js';
export { configureRuntime, webOrt, type WebProvider, type WebRuntimeConfig } from '../platform/web.js';

export { EngineCore, PIXELS, type EngineControl, type EngineStage } from '../runtime/engine-core.js';
export type { ExecutionProvider, RuntimeOptions } from '../runtime/session-core.js';
export { targetGradients, lastSpatialLayer, type GradientResult } from '../runtime/gradients.js';
export type { Classifier, ClassifierOverrides, ModelFormat } from '../models/assemble.js';
export { labelIndex } from '../models/labels.js';
export type { ImageInput } from '../image/geometry.js';
export type { PreprocessSpec, ModelCard } from '../models/spec.js';

export { explain, type ExplainRequest } from '../methods/explain.js';
export { defineMethod, type ExplanationMethod, type MethodContext, type MethodResult } from '../methods/method.js';
export { findMethod, methodNames, registerMethod } from '../methods/registry.js';
export { neuromask, type Explanation, type NeuroMaskItem, type NeuroMaskProgress, type RunControl } from '../methods/neuromask/neuromask.js';
export { NeuroMaskOptionsSchema, type NeuroMaskOptionsInput } from '../methods/neuromask/options.js';
export { DEFAULT, REFERENCE_CIFAR, REFERENCE_IMAGENET, preset, type NeuroMaskConfig } from '../methods/neuromask/presets.js';

export { deletionInsertion, auc, saliencyOrder, type CausalCurve } from '../metrics/deletion-insertion.js';
export { PointingGame, energyInBoxes, type Box } from '../metrics/pointing-game.js';
export { maskArea, maskedProbability } from '../metrics/mask-stats.js';
export { spearman, meanPairwiseSpearman } from '../metrics/rank-correlation.js';

export { applyColormap, colormap, type ColormapName } from '../viz/colormap.js';
export { minMaxNormalize, percentileClip } from '../viz/normalize.js';
export { decodeNpy, encodeNpy } from '../io/npy.js';

export { buildGradient, registerRule, supportedOps } from '../autodiff/index.js';
export { GraphBuilder } from '../onnx/builder.js';
export { readModel } from '../onnx/read.js';
export { writeModel } from '../onnx/write.js';
export { prepareGraph } from '../onnx/rewrites/index.js';
export type { Graph, Node, Tensor } from '../onnx/types.js';
export { importTfjs } from '../tfjs/import.js';

export { CancelledError } from '../errors/cancelled-error.js';
export { ImageError } from '../errors/image-error.js';
export { ModelFormatError } from '../errors/model-format-error.js';
export { RuntimeError } from '../errors/runtime-error.js';
export { UnknownLabelError } from '../errors/unknown-label-error.js';
export { UnsupportedOpError } from '../errors/unsupported-op-error.js';
