import type { z } from 'zod';
import { ModelFormatError } from '../errors/model-format-error.js';
import { assembleClassifier, type Classifier, type ClassifierOverrides, type Found, type Loaded } from '../models/assemble.js';
import { parseLabelsText } from '../models/labels-text.js';
import { ModelCardSchema, type ModelCard } from '../models/spec.js';
import { readModel } from '../onnx/read.js';
import { concatBytes, parseModelJson } from '../tfjs/artifacts.js';
import { importTfjs } from '../tfjs/import.js';
import type { TfjsArtifacts } from '../tfjs/types.js';
import { describeZodError } from '../util/zod-words.js';

/** A model URL (ONNX, or a TF.js model.json), one ONNX file or its bytes, or a TF.js model's files (model.json + shards, and a neuromask.json card if any). */
export type ModelSource = string | URL | Blob | ArrayBuffer | Uint8Array | readonly File[];

export interface WebLoadOptions extends Omit<ClassifierOverrides, 'labels' | 'fallbackSize'> {
  /** The model card; unset: for a URL, `<model>.json` then `neuromask.json` beside it are tried; for files, a `neuromask.json` among them; false: none. */
  card?: z.input<typeof ModelCardSchema> | false;
  /** Inline labels (a browser cannot read a labels path of its own). */
  labels?: string[];
  /** For fetches (credentials, an AbortSignal). */
  fetchInit?: RequestInit;
}

type Fetch = (url: string) => Promise<Response>;

async function fetchOk(f: Fetch, url: string): Promise<Response> {
  let r: Response;
  try {
    r = await f(url);
  } catch (cause) {
    throw new ModelFormatError(`cannot fetch ${url}: ${(cause as Error).message}`, { source: url, cause });
  }
  if (!r.ok) throw new ModelFormatError(`cannot fetch ${url}: HTTP ${r.status}`, { source: url });
  return r;
}

const bytesOf = async (r: Response | Blob): Promise<Uint8Array> => new Uint8Array(await r.arrayBuffer());

function parseCard(raw: unknown, source: string): ModelCard {
  const parsed = ModelCardSchema.safeParse(raw);
  if (!parsed.success) throw new ModelFormatError(`invalid model card: ${describeZodError(parsed.error, { schema: ModelCardSchema })}`, { source, cause: parsed.error });
  return parsed.data;
}

function parseJson(text: string, what: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ModelFormatError(`${what} is not valid JSON: ${(cause as Error).message}`, { source, cause });
  }
}

const onnx = (bytes: Uint8Array, source: string): Loaded => ({ graph: readModel(bytes, source), format: 'onnx', strippedSoftmax: false });

function tfjs(a: TfjsArtifacts, name: string): Loaded {
  const imp = importTfjs(a, name);
  return { graph: imp.graph, format: imp.format === 'graph' ? 'tfjs-graph' : 'tfjs-layers', strippedSoftmax: imp.strippedSoftmax, sourceOps: imp.sourceOps };
}

interface Read {
  loaded: Loaded;
  name: string;
  source: string;
  card: ModelCard | undefined;
  cardPath: string | undefined;
  /** A card's labels file, by the path the card gives. */
  labelsFile: (path: string) => Promise<string>;
}

const baseName = (p: string): string => p.replace(/[?#].*$/, '').replace(/^.*\//, '');
const stem = (p: string): string => baseName(p).replace(/\.(onnx|json)$/i, '');

async function fromUrl(url: string, o: WebLoadOptions): Promise<Read> {
  const f: Fetch = (u) => fetch(u, o.fetchInit);
  const isJson = /\.json([?#]|$)/i.test(url);
  const res = await fetchOk(f, url);
  const tryCard = async (): Promise<{ card: ModelCard; path: string } | undefined> => {
    if (o.card !== undefined) return undefined;
    const candidates = isJson ? ['neuromask.json'] : [`${stem(url)}.json`, 'neuromask.json'];
    for (const c of candidates) {
      const u = new URL(c, url).href;
      const r = await f(u).catch(() => undefined);
      if (r?.ok) return { card: parseCard(parseJson(await r.text(), 'model card', u), u), path: u };
    }
    return undefined;
  };
  let loaded: Loaded;
  const found = await tryCard();
  const name = found?.card.name ?? (isJson ? baseName(new URL('.', url).pathname.replace(/\/$/, '')) || stem(url) : stem(url));
  if (isJson) {
    const json = parseModelJson(parseJson(await res.text(), 'TF.js model.json', url), url);
    const shards = await Promise.all(json.weightsManifest.flatMap((g) => g.paths).map(async (p) => bytesOf(await fetchOk(f, new URL(p, url).href))));
    loaded = tfjs({ json, weightData: concatBytes(shards), source: url }, name);
  } else {
    loaded = onnx(await bytesOf(res), url);
  }
  const cardBase = found?.path ?? url;
  return { loaded, name, source: url, card: found?.card, cardPath: found?.path, labelsFile: async (p) => (await fetchOk(f, new URL(p, cardBase).href)).text() };
}

async function fromFiles(files: readonly File[], o: WebLoadOptions): Promise<Read> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const cardFile = o.card === undefined ? byName.get('neuromask.json') : undefined;
  const card = cardFile ? parseCard(parseJson(await cardFile.text(), 'model card', cardFile.name), cardFile.name) : undefined;
  const labelsFile = async (p: string): Promise<string> => {
    const f = byName.get(baseName(p));
    if (!f) throw new ModelFormatError(`the card's labels file '${p}' is not among the files given`, { source: cardFile?.name ?? 'files' });
    return f.text();
  };
  const onnxFile = files.find((f) => /\.onnx$/i.test(f.name));
  const modelJson = byName.get('model.json') ?? files.find((f) => /\.json$/i.test(f.name) && f !== cardFile);
  if (onnxFile) return { loaded: onnx(await bytesOf(onnxFile), onnxFile.name), name: card?.name ?? stem(onnxFile.name), source: onnxFile.name, card, cardPath: cardFile?.name, labelsFile };
  if (!modelJson) throw new ModelFormatError('no model among the files: give an .onnx file, or a TF.js model.json with its weight shards', { source: files.map((f) => f.name).join(', ') });
  const json = parseModelJson(parseJson(await modelJson.text(), 'TF.js model.json', modelJson.name), modelJson.name);
  const shards = await Promise.all(
    json.weightsManifest.flatMap((g) => g.paths).map(async (p) => {
      const f = byName.get(baseName(p));
      if (!f) throw new ModelFormatError(`weight shard '${p}' is missing: select it together with model.json`, { source: modelJson.name });
      return bytesOf(f);
    }),
  );
  const name = card?.name ?? 'tfjs-model';
  return { loaded: tfjs({ json, weightData: concatBytes(shards), source: modelJson.name }, name), name, source: modelJson.name, card, cardPath: cardFile?.name, labelsFile };
}

async function read(source: ModelSource, o: WebLoadOptions): Promise<Read> {
  if (typeof source === 'string' || source instanceof URL) return fromUrl(new URL(String(source), globalThis.location?.href).href, o);
  if (Array.isArray(source)) return fromFiles(source as readonly File[], o);
  const noFile = async (p: string): Promise<string> => {
    throw new ModelFormatError(`the card's labels file '${p}' cannot be read here: give the labels inline`, { source: '<bytes>' });
  };
  if (typeof File !== 'undefined' && source instanceof File) {
    if (/\.json$/i.test(source.name)) return fromFiles([source], o);
    return { loaded: onnx(await bytesOf(source), source.name), name: stem(source.name), source: source.name, card: undefined, cardPath: undefined, labelsFile: noFile };
  }
  const bytes = source instanceof Uint8Array ? source : source instanceof ArrayBuffer ? new Uint8Array(source) : await bytesOf(source as Blob);
  return { loaded: onnx(bytes, '<bytes>'), name: 'model', source: '<bytes>', card: undefined, cardPath: undefined, labelsFile: noFile };
}

/**
 * Load a classifier in the browser: an ONNX model (float or int8) or a TF.js model from a URL,
 * a `File` (or several: model.json + shards) or bytes; then the same `Engine`, `explain` and
 * `neuromask` as in Node. A card (preprocessing, labels) comes from `opts.card` or beside the model.
 */
export async function loadClassifier(source: ModelSource, opts: WebLoadOptions = {}): Promise<Classifier> {
  const { card: given, labels, fetchInit: _fetchInit, ...over } = opts; // fetchInit is for read(); the rest are overrides
  const r = await read(source, opts);
  const card = given ? parseCard(given, 'options.card') : r.card;
  const found: Found = {
    name: r.name,
    modelPath: r.source,
    card,
    cardPath: given ? undefined : r.cardPath,
    cardPaths: () => [],
    readLabels: async () => {
      if (labels) return labels;
      const l = card?.labels;
      if (l === undefined || Array.isArray(l)) return l;
      return parseLabelsText(await r.labelsFile(l), l);
    },
  };
  return assembleClassifier(found, r.loaded, { ...over, ...(labels ? { labels } : {}) });
}
