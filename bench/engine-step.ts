import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { buildGradient } from '../src/autodiff/index.js';
import { loadClassifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { readModel } from '../src/onnx/read.js';
import { prepareGraph } from '../src/onnx/rewrites/index.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';
import { createSession, type Session } from '../src/runtime/session.js';
import { PYTHON, torchScript } from './python.js';
import { medianMs, num, ratio, table, type Timing } from './table.js';

export interface EngineOptions {
  timing: Timing;
  torch: boolean;
  leakSteps: number;
}

interface Net {
  name: string;
  /** bench/torch/nets.py name of the same architecture. */
  torchName: string;
  graph: Graph;
  input: string;
  output: string;
}

interface TorchRow {
  batch: number;
  threads: number;
  fwd_ms: number;
  step_ms: number;
  net: string;
}

const BATCHES = [1, 8];
const THREADS = [1, 2];
const RESNET = fileURLToPath(new URL('./.cache/resnet50.onnx', import.meta.url));

/** The classifier as is, and the same graph ending in sum(logits) differentiated for the input: one step's work. */
function graphs(net: Net, batch: number): { fwd: Uint8Array; step: Uint8Array } {
  const g = prepareGraph(net.graph, { batch });
  const b = new GraphBuilder(g);
  const loss = b.add('ReduceSum', [net.output], { keepdims: 0 });
  b.outputs.splice(0);
  b.output(loss, 'float32', []);
  const { graph } = buildGradient(b.build(), { of: loss, wrt: [net.input] });
  return { fwd: writeModel(g), step: writeModel(graph) };
}

async function loadNets(torch: boolean, notes: string[]): Promise<Net[]> {
  const c = await loadClassifier('mobilenetv2-imagenet');
  const nets: Net[] = [{ name: 'MobileNetV2 (int8 zoo model, dequantized)', torchName: 'mobilenetv2', graph: c.graph, input: c.inputName, output: c.outputName }];
  if (!existsSync(RESNET)) {
    if (!torch) {
      notes.push(`ResNet-50 skipped: ${RESNET} is missing and ${PYTHON} has no torch to export it.`);
      return nets;
    }
    const script = fileURLToPath(new URL('../scripts/make-resnet50.py', import.meta.url));
    await promisify(execFile)(PYTHON, [script, RESNET]);
  }
  const g = readModel(await readFile(RESNET), RESNET);
  nets.push({ name: 'ResNet-50 (random weights)', torchName: 'resnet50', graph: g, input: g.inputs[0]!.name, output: g.outputs[0]!.name });
  return nets;
}

function randomInput(name: string, batch: number): Record<string, { data: Float32Array; dims: number[] }> {
  return { [name]: { data: Float32Array.from({ length: batch * 3 * 224 * 224 }, Math.random), dims: [batch, 3, 224, 224] } };
}

/** RSS after `steps` MobileNetV2 steps (batch 1, 2 threads) and its growth from step 100 on: a leak shows as steady growth. */
async function leakCheck(net: Net, steps: number): Promise<string> {
  const s = await createSession(graphs(net, 1).step, { ep: 'cpu', threads: 2 });
  const feeds = randomInput(net.input, 1);
  let at100 = 0;
  for (let i = 1; i <= steps; i++) {
    await s.run(feeds);
    if (i === Math.min(100, steps)) at100 = process.memoryUsage().rss;
  }
  const rss = process.memoryUsage().rss;
  await s.release();
  const mb = (v: number): string => (v / 2 ** 20).toFixed(1);
  return table(['check', 'RSS after step 100', `RSS after step ${steps}`, 'growth'], [[`MobileNetV2 batch 1, 2 threads, ${steps} steps`, `${mb(at100)} MB`, `${mb(rss)} MB`, `${mb(rss - at100)} MB`]]);
}

export async function engineBench(o: EngineOptions): Promise<string> {
  const notes: string[] = [];
  const nets = await loadNets(o.torch, notes);
  const rows: (string | number)[][] = [];
  let torchNet = '';
  for (const net of nets) {
    const ours = new Map<string, { fwd: number; step: number }>();
    for (const batch of BATCHES) {
      const bytes = graphs(net, batch);
      const feeds = randomInput(net.input, batch);
      for (const threads of THREADS) {
        const sessions: Session[] = [await createSession(bytes.fwd, { ep: 'cpu', threads }), await createSession(bytes.step, { ep: 'cpu', threads })];
        const [fwd, step] = [(await medianMs(() => sessions[0]!.run(feeds), o.timing)).ms, (await medianMs(() => sessions[1]!.run(feeds), o.timing)).ms];
        ours.set(`${batch}/${threads}`, { fwd, step });
        for (const s of sessions) await s.release();
      }
    }
    // PyTorch runs after ours, in its own process, so the two never compete for the 2 cores.
    const torch = new Map<string, TorchRow>();
    if (o.torch) {
      const t = o.timing;
      for (const r of await torchScript<TorchRow>('engine.py', [net.torchName, BATCHES.join(','), THREADS.join(','), t.warmup, t.maxRuns, t.budgetMs])) {
        torch.set(`${r.batch}/${r.threads}`, r);
        torchNet = r.net;
      }
    }
    for (const batch of BATCHES) {
      for (const threads of THREADS) {
        const u = ours.get(`${batch}/${threads}`)!;
        const p = torch.get(`${batch}/${threads}`);
        rows.push([net.name, batch, threads, num(u.fwd), num(p?.fwd_ms), ratio(p?.fwd_ms, u.fwd), num(u.step), num(p?.step_ms), ratio(p?.step_ms, u.step), num(u.step / batch)]);
      }
    }
  }
  if (!o.torch) notes.push(`PyTorch columns empty: ${PYTHON} has no torch.`);
  else notes.push(`PyTorch: ${torchNet} architecture with random weights, eval mode, float32, frozen weights, gradient to the input only.`);
  const head = ['model', 'batch', 'threads', 'ours fwd ms', 'torch fwd ms', 'torch/ours', 'ours step ms', 'torch step ms', 'torch/ours', 'ours step ms / image'];
  const parts = [
    '## Engine: ms per forward and per forward + gradient to the input (median)',
    `Step = forward + gradient of sum(logits) for the input. Median of ${o.timing.budgetMs} ms worth of runs (3–${o.timing.maxRuns}) after ${o.timing.warmup} warm-up runs; PyTorch measured the same way.`,
    table(head, rows),
    ...notes.map((n) => `- ${n}`),
    '',
    '### Memory (leak check)',
    await leakCheck(nets[0]!, o.leakSteps),
  ];
  const mnv2 = rows.find((r) => r[1] === 1 && r[2] === 2)!;
  parts.push('', `Target (not asserted): MobileNetV2 batch 1, 2 threads ≤ 25 ms/step and ≥ 4× faster than PyTorch — measured ${mnv2[6]} ms, ${mnv2[8]}.`);
  return parts.join('\n');
}
