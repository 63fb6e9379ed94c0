import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { loadImage } from '../src/image/load.js';
import { decodeNpy } from '../src/io/npy.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { browserMissing, launchBrowser } from './helpers/browser.js';
import type { CliProcess } from './helpers/cli-process.js';
import { startServe } from './helpers/serve.js';

const BAG = fileURLToPath(new URL('../assets/images/fashion/8-bag.png', import.meta.url));
const SNEAKER = fileURLToPath(new URL('../assets/images/fashion/7-sneaker.png', import.meta.url));
const ITERATIONS = 120;
const SHOTS = process.env['NEUROMASK_SCREENSHOTS'];

/** Open an example and wait for the top-5 of panel a. */
async function openExample(page: Page, name: string): Promise<void> {
  await page.selectOption('#examples', name);
  await page.waitForSelector('[data-panel="a"] .top5 button');
}

/** Open a method's settings (as a user would) and set one option. */
async function setOption(page: Page, method: string, key: string, value: string): Promise<void> {
  const details = page.locator(`[data-panel="a"] [data-method="${method}"] details`);
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await page.fill(`#a-${method}-${key}`, value);
}

describe('neuromask serve: the page in Chromium', { skip: browserMissing() }, () => {
  let server: { proc: CliProcess; url: string };
  let browser: Browser;
  let page: Page;
  before(async () => {
    server = await startServe(['--model', 'fashion-mnist-cnn', '--threads', '1']);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.error('page error:', e));
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]');
  });
  after(async () => {
    await browser?.close();
    await server?.proc.kill('SIGTERM');
  });

  it('is cross-origin isolated', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  });

  it('shows the top-5 for an example image, the true class first', async () => {
    await openExample(page, 'fashion/8-bag.png');
    const labels = await page.locator('[data-panel="a"] .top5 button').allTextContents();
    assert.equal(labels.length, 5);
    assert.match(labels[0]!, /^Bag \d/);
  });

  it('redraws the mask over at least three different frames while NeuroMask runs', async () => {
    await setOption(page, 'neuromask', 'iterations', String(ITERATIONS));
    const card = page.locator('[data-panel="a"] [data-method="neuromask"]');
    const distinct = page.evaluate(async () => {
      const el = document.querySelector<HTMLElement>('[data-panel="a"] [data-method="neuromask"]')!;
      const canvas = el.querySelector<HTMLCanvasElement>('canvas[data-role="map"]')!;
      const seen = new Set<string>();
      while (el.dataset['state'] !== 'running') await new Promise((r) => setTimeout(r, 5));
      while (el.dataset['state'] === 'running') {
        seen.add(canvas.toDataURL());
        await new Promise((r) => requestAnimationFrame(r));
      }
      return seen.size;
    });
    await card.locator('button.run').click();
    assert.ok((await distinct) >= 3, `the mask image took ${await distinct} distinct states`);
    await page.waitForSelector('[data-panel="a"] [data-method="neuromask"][data-state="done"]');
  });

  it('downloads mask.npy, result.json and the overlay PNG with what they should hold; the server\'s mask is the Node library\'s for the same seed', async () => {
    const card = page.locator('[data-panel="a"] [data-method="neuromask"]');
    const save = async (label: string): Promise<Buffer> => {
      const [d] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: `${label} (neuromask)` }).click()]);
      return readFile((await d.path())!);
    };
    const npy = decodeNpy(await save('mask.npy'));
    assert.deepEqual(npy.shape, [28, 28]);
    const result = JSON.parse((await save('result.json')).toString()) as { method: string; target: { index: number; label: string }; seed: number; computedOn: string };
    assert.equal(result.method, 'neuromask');
    assert.deepEqual([result.target.index, result.target.label, result.seed, result.computedOn], [8, 'Bag', 0, 'server']);
    const png = await sharp(await save('Overlay PNG')).metadata();
    assert.deepEqual([png.format, png.width, png.height], ['png', 28, 28]);

    const c = await loadClassifier('fashion-mnist-cnn');
    const engine = new Engine(c, { ep: 'cpu', threads: 1, cache: false });
    try {
      const [e] = await neuromask(engine, [{ image: await loadImage(await readFile(BAG), c.spec), target: 8 }], { iterations: ITERATIONS, seed: 0 });
      let worst = 0;
      e!.mask.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - npy.data[i]!))));
      assert.ok(worst < 1e-5, `largest difference ${worst}`);
      assert.ok(Math.max(...e!.mask) - Math.min(...e!.mask) > 0.3, 'the mask is not flat');
    } finally {
      await engine.release();
    }
  });

  it('clicking another class explains that class', async () => {
    const second = page.locator('[data-panel="a"] .top5 button').nth(1);
    const index = await second.getAttribute('data-class');
    await second.click();
    assert.equal(await second.getAttribute('aria-pressed'), 'true');
    await page.waitForSelector(`[data-panel="a"] [data-method="gradient"][data-target="${index}"][data-state="done"]`);
    await page.waitForSelector(`[data-panel="a"] [data-method="grad-cam"][data-target="${index}"][data-state="done"]`);
  });

  it('a bad upload shows an error on the page and the next upload works', async () => {
    await page.setInputFiles('#file', { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not an image at all') });
    await page.waitForSelector('#error:not([hidden])');
    assert.match((await page.textContent('#error'))!, /notes\.png: .*not a PNG, JPEG, WebP or GIF/);
    await page.setInputFiles('#file', SNEAKER);
    await page.waitForFunction(() => document.querySelector('#error')!.hasAttribute('hidden'));
    await page.waitForFunction(() => /^Sneaker/.test(document.querySelector('[data-panel="a"] .top5 button')?.textContent ?? ''));
  });

  it('saves the settings as JSON and restores them', async () => {
    await page.selectOption('#colormap', 'viridis');
    const [d] = await Promise.all([page.waitForEvent('download'), page.click('#save-settings')]);
    const saved = JSON.parse((await readFile((await d.path())!)).toString()) as { display: { colormap: string }; methods: { neuromask: { iterations: number } } };
    assert.equal(saved.display.colormap, 'viridis');
    assert.equal(saved.methods.neuromask.iterations, ITERATIONS);
    await page.selectOption('#colormap', 'jet');
    await page.setInputFiles('#load-settings', { name: 's.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(saved)) });
    await page.waitForFunction(() => (document.querySelector('#colormap') as HTMLSelectElement).value === 'viridis');
  });

  it('takes screenshots at 1280×800 and 390×844', { skip: SHOTS ? undefined : 'set NEUROMASK_SCREENSHOTS=<dir> to write them' }, async () => {
    await openExample(page, 'fashion/8-bag.png');
    await setOption(page, 'neuromask', 'iterations', '200');
    await page.locator('[data-panel="a"] [data-method="neuromask"] button.run').click();
    await page.waitForSelector('[data-panel="a"] [data-method="neuromask"][data-state="done"]');
    await page.waitForSelector('[data-panel="a"] [data-method="neuromask"][data-deletion-auc]');
    await page.locator('[data-panel="a"] [data-method="neuromask"] details summary').click();
    await page.screenshot({ path: `${SHOTS}/app-1280x800.png` });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${SHOTS}/app-390x844.png` });
    await page.screenshot({ path: `${SHOTS}/app-390x844-full.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
