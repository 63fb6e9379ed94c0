import type { ModelCard } from './spec.js';

/** A file we can fetch and must check byte for byte before trusting it. */
export interface RemoteFile {
  /** File name inside the model's cache directory. */
  file: string;
  url: string;
  sha256: string;
  size: number;
}

/** A model known by name: fetched on demand into the cache directory (see cache.ts). */
export interface NamedModel {
  name: string;
  /** Directory under the cache root that holds the files. */
  dir: string;
  model: RemoteFile;
  labels?: RemoteFile;
  numClasses: number;
  /** Where the weights come from, for `neuromask models` and attribution. */
  source: string;
  licence: string;
  /** As a `neuromask.json` would say; `labels` is relative to the model's directory. */
  card: ModelCard;
}

const IMAGENET_PREPROCESS: ModelCard['preprocess'] = {
  inputSize: [224, 224],
  resize: 'center-crop',
  resizeShorter: 256,
  channels: 'rgb',
  layout: 'nchw',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

export const NAMED_MODELS: readonly NamedModel[] = [
  {
    name: 'mobilenetv2-imagenet',
    dir: 'mobilenetv2-12-int8',
    model: {
      file: 'mobilenetv2-12-int8.onnx',
      url: 'https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx',
      sha256: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f',
      size: 3_655_033,
    },
    labels: {
      file: 'labels.txt',
      // The hash is of the copy Debian's opencv-doc ships (shared/models/mobilenetv2-12-int8/labels.txt);
      // opencv's file has the same length (21,675 bytes) and lines. Should upstream ever edit it, the
      // download fails with a ChecksumError rather than silently changing class names.
      url: 'https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/dnn/classification_classes_ILSVRC2012.txt',
      sha256: '4eb3da435cf544e4a6f390f62c84cb9c9bb68cf8b14e97f8a063452382e5efd2',
      size: 21_675,
    },
    numClasses: 1000,
    source: 'ONNX Model Zoo, validated/vision/classification/mobilenet (MobileNetV2 1.0, ImageNet-1k, int8)',
    licence: 'Apache-2.0',
    card: {
      name: 'mobilenetv2-imagenet',
      preprocess: IMAGENET_PREPROCESS,
      labels: 'labels.txt',
      input: 'input',
      output: 'output',
      outputKind: 'logits',
    },
  },
];

export function findNamedModel(name: string): NamedModel | undefined {
  return NAMED_MODELS.find((m) => m.name === name);
}

export function namedModelNames(): string[] {
  return NAMED_MODELS.map((m) => m.name);
}
