import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadImage } from '../src/image/load.js';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { cardFor } from '../src/models/card.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
import { browserMissing, launchBrowser } from '../test/helpers/browser.js';
import { serveStatic } from '../test/helpers/static-server.js';
import { num, table } from './table.js';

export interface BrowserBenchOptions {
  /** NeuroMask steps timed per side (after the first, which builds the session). */
  steps: number;
  /** Also time the default explanation (preset 'default', all its iterations) in the page. */
  fullExplanation: boolean;
}

const BUNDLE = fileURLToPath(new URL('../dist/browser/', import.meta.url));
const IMAGES = fileURLToPath(new URL('../../shared/images/', import.meta.url));
const PAGE = `<!doctype html><meta charset="utf-8"><title>neuromask bench</title>
<script type="module">import * as nm from '/neuromask.js'; window.nm = nm; window.nmReady = true;</script>`;

type NmWindow = typeof globalThis & { nm: typeof import('../src/web/index.js'); nmReady: boolean };

/**
 * MobileNetV2 NeuroMask ms/step in Chromium (onnxruntime-web wasm, 2 threads, cross-origin
 * isolated page) beside Node (onnxruntime-node CPU, 2 threads) in the same run, with the ratio;
 * time from navigation to the first prediction; the default explanation of a photo in the page.
 */
export async function browserBench(o: BrowserBenchOptions): Promise<string> {
  const missing = browserMissing() ?? (existsSync(`${BUNDLE}neuromask.js`) ? undefined : 'no browser bundle (npm run build:web)');
  if (missing) return `## Browser\n\nSkipped: ${missing}.`;
  const c = await loadClassifier('mobilenetv2-imagenet');
  const dog = await loadImage(`${IMAGES}dog.jpg`, c.spec);
  const opts = { preset: 'default' as const, iterations: o.steps + 1, seed: 0 };

  const engine = new Engine(c, { ep: 'cpu', threads: 2, cache: false });
  const [nodeRun] = await neuromask(engine, [{ image: dog }], opts);
  await engine.release();

  const server = await serveStatic({ '/': BUNDLE, '/mobilenet.onnx': c.source, '/images': IMAGES }, { '/bench.html': PAGE });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/bench.html`);
    await page.waitForFunction(() => (globalThis as NmWindow).nmReady === true);
    const web = await page.evaluate(
      async ({ card, opts, full }) => {
        const { nm } = globalThis as NmWindow;
        const moduleMs = performance.now(); // bundle loaded and run
        nm.configureRuntime({ numThreads: 2 });
        await nm.webOrt();
        const cls = await nm.loadClassifier('/mobilenet.onnx', { card });
        const modelMs = performance.now();
        const image = await nm.imageTensor(await (await fetch('/images/dog.jpg')).blob(), cls.spec, 'dog.jpg');
        const e = new nm.Engine(cls);
        await e.forward(image.pixels, 1);
        const firstPredictionMs = performance.now(); // since navigation start
        const [run] = await nm.neuromask(e, [{ image }], opts);
        let fullS: number | undefined;
        if (full) {
          const t0 = performance.now();
          await nm.neuromask(e, [{ image }], { preset: 'default', seed: 0 });
          fullS = (performance.now() - t0) / 1000;
        }
        return { isolated: crossOriginIsolated, threads: (await nm.webOrt()).env.wasm.numThreads, moduleMs, modelMs, firstPredictionMs, msPerStep: run!.timings.msPerStep, fullS };
      },
      { card: cardFor(c), opts, full: o.fullExplanation },
    );
    const rows = [
      ['Node (onnxruntime-node CPU, 2 threads)', num(nodeRun!.timings.msPerStep), '1.00×', '—'],
      [`Chromium (onnxruntime-web wasm, ${web.threads} threads, isolated: ${web.isolated})`, num(web.msPerStep), `${(web.msPerStep / nodeRun!.timings.msPerStep).toFixed(2)}×`, num(web.firstPredictionMs, 0)],
    ];
    const notes = [
      `NeuroMask ms per step on MobileNetV2 (224×224, preset default, ${o.steps + 1} steps, the first building the session excluded as in \`timings.msPerStep\`); ratio = browser / Node (target ≤ 2×).`,
      `First prediction: ms from navigation start to the first logits in the page on localhost: bundle run at ${num(web.moduleMs, 0)} ms; ORT's JavaScript loaded and the model fetched and parsed at ${num(web.modelMs, 0)} ms; the rest is the wasm start, graph preparation (dequantize, fold), session creation and one forward.`,
      ...(web.fullS !== undefined ? [`Default explanation of dog.jpg in the page (preset default, all iterations): ${web.fullS.toFixed(1)} s.`] : []),
    ];
    return `## Browser (Chromium ${browser.version()})\n\n${table(['side', 'ms/step', 'vs Node', 'first prediction (ms)'], rows)}\n\n${notes.join('\n')}`;
  } finally {
    await browser.close();
    await server.close();
  }
}
