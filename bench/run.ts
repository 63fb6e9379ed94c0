/**
 * npm run bench [-- --quick] [-- --only engine|speed|explain|methods|queue|browser|app]
 * Prints markdown tables; every speed is shown beside a baseline measured in the same run.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { appBench } from './app.js';
import { browserBench } from './browser.js';
import { engineBench } from './engine-step.js';
import { explainBench } from './explain.js';
import { queueBench } from './queue.js';
import { methodsBench } from './methods-table.js';
import { speedBench } from './neuromask-speed.js';
import { DEFAULT } from '../src/methods/neuromask/presets.js';
import { PYTHON, torchVersion } from './python.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const SECTIONS = ['engine', 'speed', 'explain', 'methods', 'queue', 'browser', 'app'];
if (values.only !== undefined && !SECTIONS.includes(values.only)) {
  console.error(`--only takes ${SECTIONS.join(', ')}, not '${values.only}'`);
  process.exit(2);
}
// Benchmarks read the real model from ../shared beside the checkout unless told otherwise.
process.env.NEUROMASK_HOME ??= fileURLToPath(new URL('../../shared/models/', import.meta.url));
const quick = values.quick;
const t0 = performance.now();
const torch = await torchVersion();
const ort = ((await import('onnxruntime-node/package.json', { with: { type: 'json' } })) as { default: { version: string } }).default.version;

console.log(`# neuromask benchmark${quick ? ' (--quick)' : ''}`);
console.log(`CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}; load average at start ${loadavg()[0]!.toFixed(2)} (other work on the machine slows both sides); Node ${process.version}, onnxruntime-node ${ort}; PyTorch: ${torch === undefined ? `not available in ${PYTHON}` : `${torch} (OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'})`}.\n`);

const wanted = (s: string): boolean => values.only === undefined || values.only === s;
if (wanted('engine')) {
  console.log(await engineBench({ torch: torch !== undefined, timing: quick ? { warmup: 1, maxRuns: 5, budgetMs: 300 } : { warmup: 2, maxRuns: 20, budgetMs: 1500 }, leakSteps: 1000 }));
  console.log();
}
if (wanted('speed')) {
  console.log(await speedBench({ repeats: quick ? 2 : 5, folderSize: quick ? 9 : 27 }));
  console.log();
}
if (wanted('explain')) {
  console.log(await explainBench({ torch: torch !== undefined, referenceIterations: quick ? 200 : 2000, torchDefaultIterations: quick ? 30 : DEFAULT.iterations, folderSize: quick ? 8 : 32 }));
  console.log();
}
if (wanted('methods')) {
  console.log(await methodsBench(quick ? { photos: 3, canvases: 20 } : { photos: 9, canvases: 100 }));
  console.log();
}
if (wanted('queue')) {
  console.log(await queueBench({ images: quick ? 8 : 16, trivialJobs: quick ? 50 : 200, rounds: quick ? 1 : 3 }));
  console.log();
}
if (wanted('browser')) {
  console.log(await browserBench({ steps: quick ? 10 : 30, fullExplanation: !quick }));
  console.log();
}
if (wanted('app')) {
  console.log(await appBench());
  console.log();
}
console.log(`Run time: ${((performance.now() - t0) / 60000).toFixed(1)} min; load average at the end ${loadavg()[0]!.toFixed(2)}.`);
