import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { loadImage, type ImageInput } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { cardFor } from '../src/models/card.js';
import { loadClassifier, type Classifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { browserMissing, launchBrowser } from './helpers/browser.js';
import { SHARED_IMAGES, useSharedModels } from './helpers/shared.js';
import { serveStatic, type StaticServer } from './helpers/static-server.js';

const root = (p: string): string => fileURLToPath(new URL(`../${p}`, import.meta.url));
const BUNDLE = root('dist/browser');
const skip = browserMissing() ?? (existsSync(`${BUNDLE}/neuromask.js`) ? undefined : 'no browser bundle: run `npm run build:web` first');
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
  let server: StaticServer;
  let plain: StaticServer;
  let browser: Browser;
  let fashion: Classifier;
  let mobilenet: Classifier;
  let dog: ImageInput;

  before(async () => {
    useSharedModels();
    fashion = await loadClassifier('fashion-mnist-cnn');
    mobilenet = await loadClassifier('mobilenetv2-imagenet');
    dog = await loadImage(`${SHARED_IMAGES}dog.jpg`, mobilenet.spec);
    const routes = { '/': BUNDLE, '/fashion': root('assets/models/fashion-mnist-cnn'), '/mobilenet.onnx': mobilenet.source, '/images': SHARED_IMAGES };
    server = await serveStatic(routes, { '/test.html': PAGE });
    plain = await serveStatic(routes, { '/test.html': PAGE }, false);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await plain?.close();
  });

  async function open(at: StaticServer = server): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
    await page.goto(`${at.url}/test.html`);
    await page.waitForFunction(() => (globalThis as NmWindow).nmReady === true);
    return page;
  }

  /** Logits in the page for `pixels` ([0,1], CHW), the model from `url` with the card given. */
  async function pageLogits(page: Page, url: string, card: object, pixels: Float32Array, threads = 1): Promise<Float32Array> {
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
});
