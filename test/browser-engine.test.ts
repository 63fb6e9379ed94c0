import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { spearman } from '../src/metrics/rank-correlation.js';
import { cardFor } from '../src/models/card.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import type { ModelCard } from '../src/models/spec.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import { Engine } from '../src/runtime/engine.js';
import { randn } from '../src/util/random.js';
import { browserMissing, launchBrowser } from './helpers/browser.js';
import { SHARED_IMAGES, useSharedModels } from './helpers/shared.js';
import { serveStatic, type StaticServer } from './helpers/static-server.js';

const root = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));
const skip = browserMissing();
if (skip) console.log(`# browser-engine: skipped, ${skip}`);

const PAGE = `<!doctype html><meta charset="utf-8"><title>neuromask test</title>
<script type="module">import * as nm from '/neuromask.js'; window.nm = nm; window.nmReady = true;</script>`;

type NmWindow = typeof globalThis & { nm: typeof import('../src/web/index.js'); nmReady: boolean; crossOriginIsolated: boolean };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('the engine in Chromium (onnxruntime-web)', { skip }, () => {
  let bundle: string;
  let server: StaticServer;
  let plain: StaticServer;
  let browser: Browser;
  let fashion: Classifier;
  let mobilenet: Classifier;
  let dog: ImageInput;

  before(async () => {
    // The bundle of the sources as they are now (vite.web.config.ts into a temp folder), not a stale dist/.
    bundle = await mkdtemp(join(tmpdir(), 'nm-web-'));
    await build({ configFile: root('vite.web.config.ts'), logLevel: 'warn', build: { outDir: bundle, sourcemap: false } });
    useSharedModels();
    fashion = await loadClassifier('fashion-mnist-cnn');
    mobilenet = await loadClassifier('mobilenetv2-imagenet');
    dog = await loadImage(`${SHARED_IMAGES}dog.jpg`, mobilenet.spec);
    const routes = { '/': bundle, '/human': root('node_modules/@vladmandic/human/models'), '/fashion': root('assets/models/fashion-mnist-cnn'), '/mobilenet.onnx': mobilenet.source, '/images': SHARED_IMAGES };
    server = await serveStatic(routes, { '/test.html': PAGE });
    plain = await serveStatic(routes, { '/test.html': PAGE }, false);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await plain?.close();
    if (bundle) await rm(bundle, { recursive: true, force: true });
  });

  async function open(at: StaticServer = server): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
    await page.goto(`${at.url}/test.html`);
    await page.waitForFunction(() => (globalThis as NmWindow).nmReady === true);
    return page;
  }

  /** Logits in the page for `pixels` ([0,1], CHW), the model from `url` with the card given. */
  async function pageLogits(page: Page, url: string, card: ModelCard, pixels: Float32Array, threads = 1): Promise<Float32Array> {
    const out = await page.evaluate(
      async ({ url, card, px, threads }) => {
        const { nm } = globalThis as NmWindow;
        nm.configureRuntime({ numThreads: threads });
        const c = await nm.loadClassifier(url, { card });
        const e = new nm.Engine(c, { ep: 'wasm' });
        return Array.from(await e.forward(Float32Array.from(px), 1));
      },
      { url, card, px: Array.from(pixels), threads },
    );
    return Float32Array.from(out);
  }

  async function nodeLogits(c: Classifier, pixels: Float32Array): Promise<Float32Array> {
    const e = new Engine(c, { ep: 'cpu', threads: 1, cache: false });
    try {
      return await e.forward(pixels, 1);
    } finally {
      await e.release();
    }
  }

  it('the test page is cross-origin isolated (COOP/COEP), the plain one is not', async () => {
    const [a, b] = [await open(), await open(plain)];
    assert.equal(await a.evaluate(() => (globalThis as NmWindow).crossOriginIsolated), true);
    assert.equal(await b.evaluate(() => (globalThis as NmWindow).crossOriginIsolated), false);
    await Promise.all([a.close(), b.close()]);
  });

  it('fashion model: logits in the page equal Node\'s within 1e-4 on the same pixels', { timeout: 120_000 }, async () => {
    const pixels = Float32Array.from({ length: 28 * 28 }, (_, i) => ((i * 37) % 101) / 100);
    const page = await open();
    const web = await pageLogits(page, '/fashion/model.onnx', cardFor(fashion), pixels);
    const node = await nodeLogits(fashion, pixels);
    assert.equal(web.length, 10);
    assert.ok(maxAbsDiff(web, node) <= 1e-4, `max |Δ| ${maxAbsDiff(web, node)}`);
    await page.close();
  });

  it('MobileNetV2 (int8): logits in the page equal Node\'s within 1e-4 on the same preprocessed photo', { timeout: 180_000 }, async () => {
    const page = await open();
    const web = await pageLogits(page, '/mobilenet.onnx', cardFor(mobilenet), dog.pixels);
    const node = await nodeLogits(mobilenet, dog.pixels);
    assert.equal(web.length, 1000);
    console.log(`# mobilenet logits max |web - node| ${maxAbsDiff(web, node).toExponential(2)}`);
    assert.ok(maxAbsDiff(web, node) <= 1e-4, `max |Δ| ${maxAbsDiff(web, node)}`);
    await page.close();
  });

  /** Decode `bytes` (or fetch `url`) in the page with imageTensor and the spec given; the pixels back. */
  async function pageDecode(page: Page, src: { bytes?: Uint8Array; url?: string }, spec: object): Promise<Float32Array> {
    const out = await page.evaluate(
      async ({ bytes, url, spec }) => {
        const { nm } = globalThis as NmWindow;
        const blob = url ? await (await fetch(url)).blob() : new Blob([Uint8Array.from(bytes!)]);
        return Array.from((await nm.imageTensor(blob, spec as never)).pixels);
      },
      { bytes: src.bytes ? Array.from(src.bytes) : undefined, url: src.url, spec },
    );
    return Float32Array.from(out);
  }

  it('a PNG at the model\'s size decodes in the page to the bytes sharp gives (no resampling), so the logits agree within 1e-4', { timeout: 120_000 }, async () => {
    const raw = Buffer.from(Array.from({ length: 28 * 28 }, (_, i) => (i * 53 + (i >> 3) * 7) % 256));
    const png = await sharp(raw, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const node = await loadImage(png, fashion.spec);
    const page = await open();
    const web = await pageDecode(page, { bytes: png }, fashion.spec);
    assert.equal(maxAbsDiff(web, node.pixels), 0);
    const logits = await pageLogits(page, '/fashion/model.onnx', cardFor(fashion), web);
    assert.ok(maxAbsDiff(logits, await nodeLogits(fashion, node.pixels)) <= 1e-4);
    await page.close();
  });

  it('a JPEG photo decoded and centre-cropped in the page is close to sharp\'s (other JPEG decoder and resampling kernel) and gets the same top class', { timeout: 180_000 }, async () => {
    const page = await open();
    const web = await pageDecode(page, { url: '/images/dog.jpg' }, mobilenet.spec);
    let sum = 0;
    for (let i = 0; i < web.length; i++) sum += Math.abs(web[i]! - dog.pixels[i]!);
    const mean = sum / web.length;
    console.log(`# dog.jpg browser vs sharp pixels: mean |Δ| ${(mean * 255).toFixed(2)}/255, max |Δ| ${(maxAbsDiff(web, dog.pixels) * 255).toFixed(0)}/255`);
    // Bilinear-ish 'high' canvas smoothing vs lanczos3 and a different IDCT: a few levels on average, edges more.
    assert.ok(mean < 4 / 255, `mean |Δ| ${mean * 255}/255`);
    const argmax = (a: Float32Array): number => a.indexOf(Math.max(...a));
    const [webLogits, nodeLogitsDog] = [await pageLogits(page, '/mobilenet.onnx', cardFor(mobilenet), web), await nodeLogits(mobilenet, dog.pixels)];
    assert.equal(argmax(webLogits), argmax(nodeLogitsDog));
    await page.close();
  });

  it('a NeuroMask run in the page gives the mask Node gives for the same seed and pixels', { timeout: 240_000 }, async () => {
    const pixels = Float32Array.from({ length: 28 * 28 }, (_, i) => (Math.abs((i % 28) - 14) < 8 && Math.abs(Math.floor(i / 28) - 14) < 11 ? 0.8 : 0.05));
    const opts = { iterations: 40, seed: 3 };
    const e = new Engine(fashion, { ep: 'cpu', threads: 1, cache: false });
    const image: ImageInput = { source: 'pattern', height: 28, width: 28, channels: 1, pixels, display: new Uint8Array(28 * 28 * 3) };
    const [node] = await neuromask(e, [{ image }], opts);
    await e.release();
    const page = await open();
    const web = await page.evaluate(
      async ({ card, px, opts }) => {
        const { nm } = globalThis as NmWindow;
        nm.configureRuntime({ numThreads: 1 });
        const engine = new nm.Engine(await nm.loadClassifier('/fashion/model.onnx', { card }));
        const image = { source: 'pattern', height: 28, width: 28, channels: 1, pixels: Float32Array.from(px), display: new Uint8Array(28 * 28 * 3) };
        const [x] = await nm.neuromask(engine, [{ image }], opts);
        return { mask: Array.from(x!.mask), target: x!.target.index, iterations: x!.iterations };
      },
      { card: cardFor(fashion), px: Array.from(pixels), opts },
    );
    await page.close();
    assert.equal(web.target, node!.target.index);
    assert.equal(web.iterations, node!.iterations);
    const d = maxAbsDiff(web.mask, node!.mask);
    const mean = web.mask.reduce((a, v, i) => a + Math.abs(v - node!.mask[i]!), 0) / web.mask.length;
    console.log(`# neuromask mask |web - node| max ${d.toExponential(2)} mean ${mean.toExponential(2)} after ${node!.iterations} steps`);
    // Same seed, same steps; the kernels differ only in float summation order (wasm SIMD-128 vs the
    // CPU's): the input gradients agree to 4e-7 (of 1.8). The optimiser divides each step by the
    // gradient's running RMS, so where a gradient is near 0 that noise can flip a step's sign, and
    // 40 steps compound it: measured max 1.8e-2, mean 1.8e-3 (4e-4 max after 5 steps). Bounds ~3×.
    assert.ok(d <= 5e-2, `max |Δ| ${d}`);
    assert.ok(mean <= 5e-3, `mean |Δ| ${mean}`);
    assert.ok(spearman(Float32Array.from(web.mask), node!.mask) >= 0.99);
  });

  it('runs wasm on 2 threads when the page is isolated (and falls back to 1 when not), with the same logits', { timeout: 180_000 }, async () => {
    const threadsAfterLoad = async (page: Page): Promise<{ threads: number; logits: number[] }> =>
      page.evaluate(
        async ({ card, px }) => {
          const { nm } = globalThis as NmWindow;
          nm.configureRuntime({ numThreads: 2 });
          const e = new nm.Engine(await nm.loadClassifier('/mobilenet.onnx', { card }));
          const logits = Array.from(await e.forward(Float32Array.from(px), 1));
          return { threads: (await nm.webOrt()).env.wasm.numThreads ?? 0, logits };
        },
        { card: cardFor(mobilenet), px: Array.from(dog.pixels) },
      );
    const [isolated, notIsolated] = [await open(), await open(plain)];
    const a = await threadsAfterLoad(isolated);
    const b = await threadsAfterLoad(notIsolated);
    await Promise.all([isolated.close(), notIsolated.close()]);
    assert.equal(a.threads, 2);
    assert.equal(b.threads, 1);
    assert.ok(maxAbsDiff(a.logits, await nodeLogits(mobilenet, dog.pixels)) <= 1e-4);
  });

  it('WebGPU (SwiftShader) on a tiny conv/relu/maxpool/dense model: logits and input gradient equal wasm\'s', { timeout: 300_000 }, async () => {
    const b = new GraphBuilder();
    const x = b.input('input', 'float32', ['N', 1, 8, 8]);
    const conv = b.add('Relu', [b.add('Conv', [x, b.floats([4, 1, 3, 3], randn(36, 5, 0.5)), b.floats([4], randn(4, 6, 0.1))], { pads: [1, 1, 1, 1] })]);
    const pooled = b.add('MaxPool', [conv], { kernel_shape: [2, 2], strides: [2, 2] });
    b.push('Gemm', [b.add('Flatten', [pooled]), b.floats([3, 64], randn(192, 7, 0.3)), b.floats([3], [0.1, 0, -0.1])], ['logits'], { transB: 1 });
    b.output('logits', 'float32', ['N', 3]);
    const bytes = writeModel(b.build('tiny-webgpu'));
    const gpuBrowser = await launchBrowser({ webgpu: true });
    try {
      const page = await gpuBrowser.newPage();
      await page.goto(`${server.url}/test.html`);
      await page.waitForFunction(() => (globalThis as NmWindow).nmReady === true);
      const adapter = await page.evaluate(async () => {
        const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { architecture?: string } } | null> } }).gpu;
        const a = gpu ? await gpu.requestAdapter() : null;
        return a ? (a.info?.architecture ?? 'unknown') : null;
      });
      assert.ok(adapter, 'headless Chromium offered no WebGPU adapter (see launchBrowser({ webgpu: true }))');
      const out = await page.evaluate(
        async ({ model, px }) => {
          const { nm } = globalThis as NmWindow;
          nm.configureRuntime({ ep: 'webgpu', numThreads: 1 });
          const card = { preprocess: { inputSize: [8, 8] as [number, number], resize: 'stretch' as const, channels: 'grey' as const }, labels: ['a', 'b', 'c'] };
          const c = await nm.loadClassifier(Uint8Array.from(model), { card });
          const pixels = Float32Array.from(px);
          // No named functions in here: the test runner's transform would wrap them in a helper the page lacks.
          const res: Record<string, { logits: number[]; grad: number[] }> = {};
          for (const ep of ['wasm', 'webgpu'] as const) {
            const e = new nm.Engine(c, { ep });
            const logits = Array.from(await e.forward(pixels, 1));
            const g = await nm.targetGradients(e, pixels, 1, [1]);
            await e.release();
            res[ep] = { logits, grad: Array.from(g.grad) };
          }
          return { wasm: res['wasm']!, webgpu: res['webgpu']! };
        },
        { model: Array.from(bytes), px: Array.from(randn(64, 9, 0.5).map((v) => Math.abs(v))) },
      );
      console.log(`# webgpu (${adapter}) vs wasm: logits max |Δ| ${maxAbsDiff(out.webgpu.logits, out.wasm.logits).toExponential(2)}, gradient max |Δ| ${maxAbsDiff(out.webgpu.grad, out.wasm.grad).toExponential(2)}`);
      assert.ok(out.wasm.grad.some((v) => v !== 0));
      assert.ok(maxAbsDiff(out.webgpu.logits, out.wasm.logits) <= 1e-4);
      assert.ok(maxAbsDiff(out.webgpu.grad, out.wasm.grad) <= 1e-4);
    } finally {
      await gpuBrowser.close();
    }
  });

  it('a TF.js Graph model (human-emotion) loads from its model.json URL and from File objects, logits equal Node\'s within 1e-4', { timeout: 180_000 }, async () => {
    const emotion = await loadClassifier('human-emotion');
    const pixels = Float32Array.from({ length: 64 * 64 }, (_, i) => ((i * 29) % 97) / 96);
    const page = await open();
    const out = await page.evaluate(
      async ({ card, px }) => {
        const { nm } = globalThis as NmWindow;
        nm.configureRuntime({ numThreads: 1 });
        const pixels = Float32Array.from(px);
        const fromUrl = await nm.loadClassifier('/human/emotion.json', { card });
        const files = await Promise.all(['emotion.json', 'emotion.bin'].map(async (n) => new File([await (await fetch(`/human/${n}`)).blob()], n)));
        const fromFiles = await nm.loadClassifier(files, { card });
        const a = Array.from(await new nm.Engine(fromUrl).forward(pixels, 1));
        const b = Array.from(await new nm.Engine(fromFiles).forward(pixels, 1));
        return { a, b, format: fromFiles.format };
      },
      { card: cardFor(emotion), px: Array.from(pixels) },
    );
    await page.close();
    const node = await nodeLogits(emotion, pixels);
    assert.equal(out.format, 'tfjs-graph');
    assert.equal(out.a.length, 7);
    assert.ok(maxAbsDiff(out.a, node) <= 1e-4, `url: ${maxAbsDiff(out.a, node)}`);
    assert.ok(maxAbsDiff(out.b, node) <= 1e-4, `files: ${maxAbsDiff(out.b, node)}`);
  });
});
