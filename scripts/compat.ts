/**
 * npm run compat [-- --quick] [-- --only resnet18,convnext_tiny]
 * Exports torchvision classifiers with random weights (scripts/compat.py, Debian's python3-torch)
 * and checks each through the project's pipeline: loads, forward equals ONNX Runtime on the
 * original file, input gradient equals central finite differences, step time. Prints a markdown
 * table; a full run (no --only, no --quick) also writes it to docs/compat.md.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { PYTHON } from '../bench/python.js';
import { checkModel, type CompatCase, type CompatResult } from './compat-check.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });

try {
  await run(PYTHON, ['-c', 'import torch, torchvision']);
} catch {
  console.log(`compat: skipped, ${PYTHON} has no torch/torchvision (Debian: apt install python3-torch python3-torchvision).`);
  process.exit(0);
}

const t0 = performance.now();
const load = loadavg()[0]!;
const args = ['scripts/compat.py', '.dev/compat', ...(values.quick ? ['--quick'] : []), ...(values.only ? ['--only', values.only] : [])];
const { stdout } = await run(PYTHON, args, { cwd: root, maxBuffer: 1 << 22, env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
const rows = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as CompatCase & { error?: string });
if (rows.length === 0) {
  console.error(`compat: no model matches --only ${values.only}`);
  process.exit(2);
}

/** What the table does not show: how the models were made, and what is known not to work. */
const NOTES = `## Notes

- Weights are random (\`weights=None\`, seed 0). Fresh BatchNorm statistics (mean 0, var 1) make the
  signal vanish layer by layer in eval mode (the input then moves some nets' logits by 1e-11 of their
  size, below float32 resolution), so scripts/compat.py measures each BN's statistics on two random
  batches first; ViT's zero-initialised head gets small random weights.
- vit_b_16 is exported with grad mode on: under \`no_grad\`, torch 1.13 takes a fused attention path
  (aten::_native_multi_head_attention) that has no ONNX export.
- Variants: opsets 11 and 17, each with static batch 1 and a dynamic batch axis; vgg11_bn, alexnet
  and resnext50_32x4d (large, nothing new in them) at opset 17 static only, vit_b_16 and swin_t at
  opset 17 static and opset 11 dynamic, to keep the run short.
- Step times come from a shared 2-core machine and vary by tens of percent between runs.
- Not supported (an UnsupportedOpError names the node): Resize with cubic mode, tf_crop_and_resize or
  antialias; Slice with negative steps; Gather whose indices depend on the input; Pad modes other
  than constant; gradients of weights (models are frozen).
`;

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '–' : v.toExponential(digits));

/** ok when it loads, the logits match to 1e-4 relative, and ≥ 75 % of sampled pixels agree with cosine > 0.99. */
function verdict(r: CompatResult): string {
  if (!r.loads) return 'no';
  const fwd = r.fwdRel !== undefined && r.fwdRel < 1e-4;
  const grad = r.agree !== undefined && r.agree >= 0.75 * r.samples! && r.cosine! > 0.99;
  return fwd && grad ? 'ok' : 'FAIL';
}

const header = '| model | opset | batch | loads | fwd max err (abs / rel) | grad agreement (within 10 %) | worst rel | cosine | step ms | result | note |';
const lines = [header, '|---|---|---|---|---|---|---|---|---|---|---|'];
console.log(header);
console.log(lines[1]);
let failures = 0;
for (const row of rows) {
  const r: CompatResult = row.error
    ? { loads: false, note: `export failed: ${row.error}` }
    : await checkModel(row, { samples: values.quick ? 8 : 16, h: 1e-3, steps: values.quick ? 3 : 5, threads: 2 });
  const v = verdict(r);
  if (v !== 'ok') failures++;
  const line = `| ${row.model} | ${row.opset} | ${row.batch} | ${r.loads ? 'yes' : 'no'} | ${fmt(r.fwdAbs)} / ${fmt(r.fwdRel)} | ${r.agree ?? '–'}/${r.samples ?? '–'} | ${r.worstRel?.toFixed(3) ?? '–'} | ${r.cosine?.toFixed(4) ?? '–'} | ${r.stepMs?.toFixed(0) ?? '–'} | ${v} | ${r.note.replaceAll('|', '\\|')} |`;
  lines.push(line);
  console.log(line);
}

const minutes = ((performance.now() - t0) / 60000).toFixed(1);
const machine = `${cpus()[0]?.model ?? '?'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
console.log(`\n${rows.length} files, ${failures} not ok; ${minutes} min on ${machine}.`);
if (!values.only && !values.quick) {
  const torch = (await run(PYTHON, ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'])).stdout.trim();
  const doc = [
    '# Compatibility: torchvision classifiers',
    '',
    'Made by `npm run compat` (scripts/compat.py exports, scripts/compat.ts checks). Each model is exported',
    'with random weights (seeded, eval mode) by torch/torchvision ' + torch + ', then loaded through',
    '`loadClassifier` → `Engine` (prepareGraph: fixed batch, constant folding, BatchNorm folding) and compared with',
    'ONNX Runtime on the original file (forward, on one random image in [0,1], normalised with ImageNet mean/std)',
    'and with central finite differences (input gradient of the top logit at sampled pixels, step 1e-3 in [0,1]',
    'pixel units; a sample agrees when |fd − g| / max(|g|, 5 % of max |g|) < 10 %; a ±h step may cross a ReLU',
    'kink, so a few disagreeing samples are expected). Step time: median of one forward+backward run at batch 1.',
    '',
    `Machine: ${machine}; load average at start ${load.toFixed(2)}. Date: ${new Date().toISOString().slice(0, 10)}. Run time ${minutes} min, exports included (they are cached in .dev/compat for reruns).`,
    '',
    ...lines,
    '',
    NOTES,
  ].join('\n');
  await writeFile(new URL('../docs/compat.md', import.meta.url), doc);
}
