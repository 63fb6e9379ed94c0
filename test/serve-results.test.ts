import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { browserMissing, launchBrowser } from './helpers/browser.js';
import type { CliProcess } from './helpers/cli-process.js';
import { cli } from './helpers/run-cli.js';
import { startServe } from './helpers/serve.js';

const BENCH = fileURLToPath(new URL('../assets/benchmarks/fashion-canvas/', import.meta.url));

interface Row { image: string; method: string; target: { index: number }; misclassified: boolean | null; deletionAuc: number }

describe('neuromask serve --results: the output of evaluate, filtered and sorted', () => {
  let dir: string;
  let server: { proc: CliProcess; url: string };
  /** The benchmark's own record of the model's prediction, per image id: the truth for "misclassified". */
  const recorded = new Map<string, boolean>();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neuromask-results-'));
    const manifest = JSON.parse(await readFile(join(BENCH, 'manifest.json'), 'utf8')) as { images: { file: string; target: number; predicted: number }[] };
    // Two images the model gets wrong and three it gets right.
    const pick = [...manifest.images.filter((i) => i.predicted !== i.target).slice(0, 2), ...manifest.images.filter((i) => i.predicted === i.target).slice(0, 3)];
    await mkdir(join(dir, 'images'));
    for (const i of pick) {
      await copyFile(join(BENCH, i.file), join(dir, i.file));
      recorded.set(i.file.replace(/^images\//, '').replace(/\.png$/, ''), i.predicted !== i.target);
    }
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ images: pick.map(({ file, target }) => ({ file, target })) }));
    const r = cli(['evaluate', join(dir, 'manifest.json'), '--model', 'fashion-canvas-cnn', '--methods', 'gradient,grad-cam', '--out', join(dir, 'out'), '--threads', '1'], dir);
    assert.equal(r.code, 0, r.stderr);
    server = await startServe(['--results', join(dir, 'out'), '--model', 'fashion-canvas-cnn', '--threads', '1']);
  });
  after(async () => {
    await server?.proc.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('marks the misclassified images as the benchmark recorded them', async () => {
    const { results } = (await (await fetch(new URL('api/results', server.url))).json()) as { results: { rows: Row[]; methods: string[] } };
    assert.deepEqual(results.methods, ['gradient', 'grad-cam']);
    assert.equal(results.rows.length, 10);
    for (const r of results.rows) assert.equal(r.misclassified, recorded.get(r.image), r.image);
  });

  it('refuses an image or method that is not in the results', async () => {
    const r = await fetch(new URL('api/results/open', server.url), { method: 'POST', body: JSON.stringify({ image: '../../etc', method: 'gradient' }) });
    assert.equal(r.status, 404);
  });

  it('a --results folder without results.json is a usage error (exit 2)', async () => {
    const r = cli(['serve', '--port', '0', '--results', dir], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no results\.json there/);
  });

  describe('on the page', { skip: browserMissing() }, () => {
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    it('filters by misclassified and method, sorts by deletion AUC, and opens a row', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}?where=server`);
      await page.waitForSelector('body[data-ready="true"]');
      await page.waitForSelector('#results:not([hidden]) #results-rows tr');
      assert.equal(await page.locator('#results-rows tr').count(), 10);
      await page.check('#f-mis');
      await page.selectOption('#f-method', 'gradient');
      const images = await page.locator('#results-rows tr td:first-child').allTextContents();
      assert.deepEqual(images.sort(), [...recorded].filter(([, m]) => m).map(([id]) => id).sort());
      await page.uncheck('#f-mis');
      await page.selectOption('#f-sort', 'deletionAuc');
      const aucs = (await page.locator('#results-rows tr td:nth-child(5)').allTextContents()).map(Number);
      assert.deepEqual(aucs, [...aucs].sort((a, b) => a - b));
      await page.locator('#results-rows tr').first().getByRole('button').click();
      await page.waitForFunction(() => /computed offline/.test(document.querySelector('[data-panel="a"] [data-method="gradient"] .stats')?.textContent ?? ''));
      await page.close();
    });
  });
});
