import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadImage } from '../src/image/load.js';
import { explain } from '../src/methods/explain.js';
import { deletionInsertion } from '../src/metrics/deletion-insertion.js';
import { loadClassifier } from '../src/models/classifier.js';
import { Engine } from '../src/runtime/engine.js';
process.env.NEUROMASK_HOME = '/work/shared/models';
const c = await loadClassifier(process.argv[2] ?? 'mobilenetv2-imagenet');
const engine = new Engine(c, { ep: 'cpu', threads: 1 });
const image = await loadImage(process.argv[3] ?? '/work/shared/images/dog.jpg', c.spec);
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
const phase = async (name: string, f: () => Promise<unknown>) => {
  h.reset(); const t0 = performance.now(); await f();
  console.log(`${name}: ${(performance.now() - t0).toFixed(0)} ms, loop max ${(h.max / 1e6).toFixed(0)} ms`);
};
for (const m of (process.argv[4] ?? 'gradient,neuromask').split(',')) for (const rep of [1, 2]) {
  let map: Float32Array = new Float32Array();
  let t = 0;
  await phase(`${m} #${rep} method`, async () => { const r = await explain(engine, image, { method: m, seed: 0 }); map = r.map; t = r.target.index; });
  await phase(`${m} #${rep} deletion`, () => deletionInsertion(engine, image, map, t, { mode: 'deletion' }));
}
await engine.release();
