import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { concatBytes, parseModelJson, readTfjsModel, shardPath } from '../tfjs/read.js';
import type { TfjsArtifacts } from '../tfjs/types.js';
import { ownPackageJson } from '../util/package-json.js';
import type { ModelCard } from './spec.js';

/**
 * A model that ships inside an npm dependency: read from the installed package, never downloaded.
 * 'js-bundle' is nsfwjs's packaging: model.json and each weight shard wrapped as CommonJS modules
 * (the shard as a base64 string) so bundlers can inline them.
 */
export interface PackageModel {
  name: string;
  package: string;
  /** Path of model.json (or its .min.js wrapper) inside the package. */
  file: string;
  packaging: 'files' | 'js-bundle';
  format: 'tfjs-layers' | 'tfjs-graph';
  description: string;
  licence: string;
  card: ModelCard;
}

const NSFW_CARD = (name: string): ModelCard => ({
  name,
  // nsfwjs feeds tf.browser.fromPixels(img) / 255, bilinear-resized (stretched) to 224×224.
  preprocess: { inputSize: [224, 224], resize: 'stretch', channels: 'rgb', layout: 'nhwc', mean: [0], std: [1] },
  labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
  outputKind: 'logits',
});

export const PACKAGE_MODELS: readonly PackageModel[] = [
  {
    name: 'nsfwjs-mobilenet-v2',
    package: 'nsfwjs',
    file: 'dist/models/mobilenet_v2/model.min.js',
    packaging: 'js-bundle',
    format: 'tfjs-layers',
    description: 'nsfwjs MobileNetV2 (Keras Layers model, uint8 weights): 5 content classes',
    licence: 'MIT',
    card: NSFW_CARD('nsfwjs-mobilenet-v2'),
  },
  {
    name: 'nsfwjs-mobilenet-v2-mid',
    package: 'nsfwjs',
    file: 'dist/models/mobilenet_v2_mid/model.min.js',
    packaging: 'js-bundle',
    format: 'tfjs-graph',
    description: 'nsfwjs MobileNetV2 "mid" (TF Graph model, uint8 weights): 5 content classes',
    licence: 'MIT',
    card: NSFW_CARD('nsfwjs-mobilenet-v2-mid'),
  },
  {
    name: 'human-emotion',
    package: '@vladmandic/human',
    file: 'models/emotion.json',
    packaging: 'files',
    format: 'tfjs-graph',
    description: 'face expression of @vladmandic/human (oarriaga/face_classification mini-Xception, Graph model) on a face crop',
    licence: 'MIT',
    card: {
      name: 'human-emotion',
      // human: grey = rgb·[0.2989, 0.587, 0.114] of the [0,1] face crop, then (grey − 0.5)·2.
      preprocess: { inputSize: [64, 64], resize: 'stretch', channels: 'grey', layout: 'nhwc', mean: [0.5], std: [0.5] },
      labels: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
      outputKind: 'logits',
    },
  },
];

export function findPackageModel(name: string): PackageModel | undefined {
  return PACKAGE_MODELS.find((m) => m.name === name);
}

const require = createRequire(import.meta.url);

/** An installed package's root folder, or undefined; injectable so tests can pretend a package is absent. */
export type PackageResolver = (pkg: string) => string | undefined;

/**
 * Looked up only when a packaged model is asked for: the packages are optional peer dependencies,
 * so a plain install has no TensorFlow.js. The root folder, not the entry point: some packages'
 * `exports` hide package.json.
 */
export const packageDir: PackageResolver = (pkg) => {
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = join(base, pkg);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
};

/** `nsfwjs@4.3.0`: the version neuromask's package.json names as the (optional) peer dependency. */
export function packageRequirement(pkg: string): string {
  const v = ownPackageJson().peerDependencies?.[pkg];
  return v ? `${pkg}@${v}` : pkg;
}

export function packageModelPath(m: PackageModel, resolvePackage: PackageResolver = packageDir): string {
  const dir = resolvePackage(m.package);
  if (!dir) {
    const want = packageRequirement(m.package);
    throw new ModelNotFoundError(m.name, `model ${m.name} needs the npm package ${want}: npm install ${want}`, { searched: require.resolve.paths(m.package) ?? [] });
  }
  return join(dir, m.file);
}

/** The model's TF.js artifacts, read from the installed package. */
export async function readPackageModel(m: PackageModel): Promise<TfjsArtifacts> {
  const path = packageModelPath(m);
  if (m.packaging === 'files') return readTfjsModel(path);
  const json = parseModelJson(require(path) as unknown, path);
  const dir = path.replace(/[^/\\]*$/, '');
  const files = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map((p) => shardPath(dir, `${p}.min.js`, path)));
  const shards = files.map((f) => Buffer.from(require(f) as string, 'base64'));
  return { json, weightData: concatBytes(shards), source: path };
}

/** Bytes of the model's weights (for `neuromask models`). */
export async function packageModelSize(m: PackageModel): Promise<number> {
  return (await readPackageModel(m)).weightData.byteLength;
}

export async function packageVersion(pkg: string): Promise<string> {
  const dir = packageDir(pkg);
  if (!dir) return 'not installed';
  return String((JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version?: unknown }).version);
}
