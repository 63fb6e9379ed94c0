/**
 * The web app (`neuromask serve`) in headless Chromium: time from page load to the first
 * prediction, and the default NeuroMask explanation of a photo in the page, computed in the
 * browser (onnxruntime-web, wasm, threads as the isolated page gets them) and on the server; the
 * Node library's own time for the same explanation is the baseline, measured in the same run.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { loadImage } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { DEFAULT } from '../src/methods/neuromask/presets.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { browserMissing, launchBrowser } from '../test/helpers/browser.js';
import { startServe } from '../test/helpers/serve.js';
import { num, ratio, table } from './table.js';

const PHOTO = fileURLToPath(new URL('../../shared/images/dog.jpg', import.meta.url));
const MOBILENET = 'mobilenetv2-imagenet';
const THREADS = 2;

interface PageTimes {
  /** goto → top-5 on screen (page, model download and session, image decode, forward pass). */
  firstPredictionMs: number;
  /** Run click → result shown (the default NeuroMask, DEFAULT.iterations steps), once the cheap methods are done. */
  explainMs: number;
}

async function timePage(browser: Browser, url: string, where: 'browser' | 'server', model: string, image: { example: string } | { file: string }): Promise<PageTimes> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page: Page = await context.newPage();
  try {
    const t0 = Date.now();
    await page.goto(`${url}?where=${where}&model=${encodeURIComponent(model)}`);
    await page.waitForSelector('body[data-ready="true"]');
    if ('example' in image) await page.selectOption('#examples', image.example);
    else await page.setInputFiles('#file', image.file);
    await page.waitForSelector('[data-panel="a"] .top5 button', { timeout: 120_000 });
    const firstPredictionMs = Date.now() - t0;
    // The cheap methods start with the prediction; let them (and their curves) finish first.
    for (const m of ['gradient', 'grad-cam']) await page.waitForSelector(`[data-panel="a"] [data-method="${m}"][data-state="done"]`, { timeout: 300_000 });
    const card = page.locator('[data-panel="a"] [data-method="neuromask"]');
    await card.locator('button.run').click();
    await page.waitForSelector('[data-panel="a"] [data-method="neuromask"][data-ms]', { timeout: 300_000 });
    const explainMs = Number(await card.getAttribute('data-ms'));
    return { firstPredictionMs, explainMs };
  } finally {
    await context.close();
  }
}

/** The same default explanation with the Node library, on a fresh engine (graph build and session counted, as in the page). */
async function nodeExplainMs(model: string, photo: string): Promise<number> {
  const c = await loadClassifier(model);
  const engine = new Engine(c, { ep: 'cpu', threads: THREADS });
  try {
    const image = await loadImage(await readFile(photo), c.spec);
    const t0 = performance.now();
    await neuromask(engine, [{ image }], { seed: 0 });
    return performance.now() - t0;
  } finally {
    await engine.release();
  }
}

export async function appBench(): Promise<string> {
  const missing = browserMissing();
  if (missing) return `## Web app\n\nskipped: ${missing}`;
  const server = await startServe(['--threads', String(THREADS)]);
  const browser = await launchBrowser();
  try {
    const rows: (string | number)[][] = [];
    const cases = [
      { model: 'fashion-mnist-cnn', image: { example: 'fashion/8-bag.png' }, name: 'fashion-mnist-cnn, bundled example', photo: fileURLToPath(new URL('../assets/images/fashion/8-bag.png', import.meta.url)) },
      { model: MOBILENET, image: { file: PHOTO }, name: 'MobileNetV2 int8, dog.jpg', photo: PHOTO },
    ];
    for (const c of cases) {
      const node = await nodeExplainMs(c.model, c.photo);
      for (const where of ['browser', 'server'] as const) {
        const t = await timePage(browser, server.url, where, c.model, c.image);
        rows.push([c.name, where, num(t.firstPredictionMs, 0), num(t.explainMs, 0), num(node, 0), ratio(node, t.explainMs)]);
      }
    }
    return [
      '## Web app (headless Chromium, localhost)',
      '',
      `Page load → first prediction (target < 3000 ms), and the default NeuroMask (${DEFAULT.iterations} steps) from the Run click to the result on the page, against the Node library's time for the same explanation on a fresh engine (${THREADS} threads). Ratio: Node / page (above 1: the page is faster).`,
      '',
      table(['model, image', 'computed', 'first prediction ms', 'explanation in page ms', 'Node library ms', 'ratio'], rows),
    ].join('\n');
  } finally {
    await browser.close();
    await server.proc.kill('SIGTERM');
  }
}
