import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { neuromask } from '../src/methods/neuromask/neuromask.js';
import { loadClassifier } from '../src/models/classifier.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { readModel } from '../src/onnx/read.js';
import { explicitConvAttrs } from '../src/onnx/rewrites/explicit-conv.js';
import type { Graph } from '../src/onnx/types.js';
import { nodePlatform } from '../src/platform/node.js';
import type { Platform } from '../src/platform/types.js';
import { EngineCore } from '../src/runtime/engine-core.js';
import { targetGradients } from '../src/runtime/gradients.js';
import { useSharedModels } from './helpers/shared.js';

/** Node's platform taking 'webgpu' sessions (run on its CPU provider), keeping every graph handed to ONNX Runtime. */
function recording(): { platform: Platform; graphs: Graph[] } {
  const graphs: Graph[] = [];
  const platform: Platform = {
    ...nodePlatform,
    createSession: (bytes, req) => (graphs.push(readModel(bytes, 'recorded')), nodePlatform.createSession(bytes, { ...req, ep: 'cpu' })),
  };
  return { platform, graphs };
}

/** What onnxruntime-web's WebGPU providers reject in a graph (see issue 10). */
function webgpuProblems(graphs: readonly Graph[]): string[] {
  const out: string[] = [];
  for (const g of graphs)
    for (const n of g.nodes) {
      if ((n.opType === 'Conv' || n.opType === 'ConvTranspose') && (!n.attrs['kernel_shape'] || !n.attrs['dilations'])) out.push(`${g.name}: ${n.opType} ${n.name || n.outputs[0]} without kernel_shape/dilations`);
      if (n.opType === 'MaxPool' && n.outputs.filter((o) => o !== '').length > 1) out.push(`${g.name}: MaxPool ${n.name || n.outputs[0]} with an Indices output`);
    }
  return out;
}

describe('graphs we hand to ONNX Runtime are WebGPU-safe', () => {
  it('explicitConvAttrs writes the weight\'s kernel and unit dilations, keeping what is set', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [1, 2, 5, 5]);
    const y = b.add('Conv', [b.add('Conv', [x, b.floats([3, 2, 3, 2], new Float32Array(36))]), b.floats([1, 3, 1, 1], [1, 1, 1])], { dilations: [2, 2] });
    b.output(y, 'float32', [1, 1, 3, 4]);
    const [a, c] = explicitConvAttrs(b.build()).nodes;
    assert.deepEqual(a!.attrs['kernel_shape'], { type: 'ints', value: [3, 2] });
    assert.deepEqual(a!.attrs['dilations'], { type: 'ints', value: [1, 1] });
    assert.deepEqual(c!.attrs['kernel_shape'], { type: 'ints', value: [1, 1] });
    assert.deepEqual(c!.attrs['dilations'], { type: 'ints', value: [2, 2] });
  });

  it('fashion model (Conv, MaxPool): forward, input gradient and NeuroMask steps', { timeout: 120_000 }, async () => {
    const { platform, graphs } = recording();
    const e = new EngineCore(await loadClassifier('fashion-mnist-cnn'), { ep: 'webgpu', threads: 1 }, {}, platform);
    const pixels = new Float32Array(28 * 28).fill(0.5);
    await e.forward(pixels, 1);
    await targetGradients(e, pixels, 1, [0]);
    const image = { source: 'grey', height: 28, width: 28, channels: 1, pixels, display: new Uint8Array(28 * 28 * 3) };
    await neuromask(e, [{ image }], { iterations: 2 });
    await neuromask(e, [{ image }], { preset: 'reference', iterations: 2 }); // its Laplacian smoothness is a Conv
    await e.release();
    assert.ok(graphs.length >= 3, `${graphs.length} graphs`);
    assert.ok(graphs.some((g) => g.nodes.some((n) => n.opType === 'MaxPool')));
    assert.deepEqual(webgpuProblems(graphs), []);
  });

  it('for the CPU provider the MaxPool gradient keeps its Indices form (faster there)', { timeout: 60_000 }, async () => {
    const { platform, graphs } = recording();
    const e = new EngineCore(await loadClassifier('fashion-mnist-cnn'), { ep: 'cpu', threads: 1 }, {}, platform);
    await targetGradients(e, new Float32Array(28 * 28).fill(0.5), 1, [0]);
    await e.release();
    assert.ok(webgpuProblems(graphs).some((p) => p.includes('Indices')));
  });

  it('MobileNetV2 (int8, dequantized convs): forward and input gradient', { timeout: 300_000 }, async () => {
    useSharedModels();
    const { platform, graphs } = recording();
    const e = new EngineCore(await loadClassifier('mobilenetv2-imagenet'), { ep: 'webgpu', threads: 2 }, {}, platform);
    const pixels = new Float32Array(3 * 224 * 224).fill(0.5);
    await e.forward(pixels, 1);
    await targetGradients(e, pixels, 1, [0]);
    await e.release();
    assert.ok(graphs.every((g) => g.nodes.some((n) => n.opType === 'Conv')));
    assert.deepEqual(webgpuProblems(graphs), []);
  });
});
