import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readModel } from '../src/onnx/read.js';
import { dequantize, prepareGraph, withBatch } from '../src/onnx/rewrites/index.js';
import { inferShapes } from '../src/onnx/shapes.js';
import { toNumbers } from '../src/onnx/tensor.js';
import type { Graph, Node } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';
import { qlinearAdd, qlinearConv, qlinearGlobalAveragePool, qlinearMatMul, requantize, type QOut, type QTensor } from './helpers/qlinear.js';

const DIR = new URL('../../shared/models/mobilenetv2-12-int8/', import.meta.url);
const MODEL = new URL('mobilenetv2-12-int8.onnx', DIR).pathname;
const IMAGES = new URL('../../shared/images/', import.meta.url).pathname;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** A photo squashed to 64×64, ImageNet-normalised, NCHW. */
async function photo64(file: string): Promise<Float32Array> {
  const px = await sharp(IMAGES + file).removeAlpha().resize(64, 64, { fit: 'fill' }).raw().toBuffer();
  return Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => {
    const c = Math.floor(i / 4096);
    return (px[(i % 4096) * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
  });
}

const init = (g: Graph, name: string): ArrayLike<number> => g.initializers.get(name)!.data as ArrayLike<number>;
const rangeOf = (g: Graph, zeroPoint: string): [number, number] => (g.initializers.get(zeroPoint)!.dtype === 'int8' ? [-128, 127] : [0, 255]);

/** Per op: the input indices of each quantized operand (its scale and zero point follow it), the output scale's index, the reference. */
const QLINEAR: Record<string, { activations: number[]; output: number; reference: (n: Node, g: Graph, x: QTensor[], out: QOut) => { q: Int32Array; dims: number[] } }> = {
  QLinearConv: {
    activations: [0, 3],
    output: 6,
    reference: (n, g, [x, w], out) => {
      const ints = (k: string, d: number[]): number[] => (n.attrs[k]?.type === 'ints' ? [...n.attrs[k].value] : d);
      const group = n.attrs['group']?.type === 'int' ? n.attrs['group'].value : 1;
      return qlinearConv(x!, w!, n.inputs[8] ? init(g, n.inputs[8]) : undefined, {
        group,
        strides: ints('strides', [1, 1]) as [number, number],
        pads: ints('pads', [0, 0, 0, 0]) as [number, number, number, number],
        dilations: ints('dilations', [1, 1]) as [number, number],
      }, out);
    },
  },
  QLinearMatMul: { activations: [0, 3], output: 6, reference: (_n, _g, [a, b], out) => qlinearMatMul(a!, b!, out) },
  QLinearAdd: { activations: [0, 3], output: 6, reference: (_n, _g, [a, b], out) => qlinearAdd(a!, b!, out) },
  QLinearGlobalAveragePool: { activations: [0], output: 3, reference: (_n, _g, [x], out) => qlinearGlobalAveragePool(x!, out) },
};

/** The name a quantized tensor has in the dequantized graph (a graph output's DequantizeLinear is folded away). */
function floatName(g: Graph, q: string): string {
  const dq = g.nodes.find((n) => n.opType === 'DequantizeLinear' && n.inputs[0] === q);
  return dq && g.outputs.some((o) => o.name === dq.outputs[0]) ? dq.outputs[0]! : q;
}

/** The part of g computing `output` from `inputs`, with only the initializers it reads. */
function cut(g: Graph, inputs: { name: string; dims: number[] }[], output: string, dims: number[]): Graph {
  const stop = new Set(inputs.map((i) => i.name));
  const producer = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const needed = new Set<Node>();
  const todo = [output];
  while (todo.length) {
    const p = producer.get(todo.pop()!);
    if (!p || needed.has(p)) continue;
    needed.add(p);
    todo.push(...p.inputs.filter((i) => i && !stop.has(i)));
  }
  const nodes = g.nodes.filter((n) => needed.has(n));
  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    ...g,
    nodes,
    initializers: new Map([...g.initializers].filter(([k]) => used.has(k))),
    inputs: inputs.map((i) => ({ name: i.name, dtype: 'float32', shape: i.dims })),
    outputs: [{ name: output, dtype: 'float32', shape: dims }],
  };
}

describe('dequantize MobileNetV2 int8', { skip: !existsSync(MODEL) || !existsSync(IMAGES) ? 'model or images not present' : false }, () => {
  let original: Graph;
  before(() => {
    original = readModel(readFileSync(MODEL), MODEL);
  });

  it('leaves only float ops, opset 13, the same output name', () => {
    const g = prepareGraph(original, { batch: 1 });
    const quantOps = g.nodes.filter((n) => /^QLinear|QuantizeLinear|DequantizeLinear/.test(n.opType));
    assert.deepEqual(quantOps, []);
    assert.deepEqual(g.opsets, { '': 13 });
    assert.deepEqual(g.outputs.map((o) => o.name), ['output']);
    assert.ok(g.nodes.every((n) => n.domain === ''));
    for (const t of g.initializers.values()) assert.ok(t.dtype === 'float32' || t.dtype === 'int64', `initializer dtype ${t.dtype}`);
    // The flatten's Shape→Gather→Unsqueeze→Concat is folded into a constant Reshape shape.
    const reshape = g.nodes.find((n) => n.opType === 'Reshape')!;
    assert.deepEqual(toNumbers(g.initializers.get(reshape.inputs[1]!)!), [1, -1]);
    assert.ok(!g.nodes.some((n) => ['Shape', 'Gather', 'Unsqueeze', 'Concat'].includes(n.opType)));
    assert.deepEqual(inferShapes(g).get('output'), { dtype: 'float32', dims: [1, 1000] });
  });

  it('dequantizes a per-channel conv by hand: weights, bias and ReLU6 clip', () => {
    const g = dequantize(original);
    const q = original.nodes.find((n) => n.name === 'Conv_2_quant')!; // depthwise, per-channel int8
    const clip = g.nodes.find((n) => n.outputs[0] === q.outputs[0])!;
    assert.equal(clip.opType, 'Clip');
    const conv = g.nodes.find((n) => n.outputs[0] === clip.inputs[0])!;
    assert.equal(conv.opType, 'Conv');
    assert.deepEqual(conv.attrs.group, { type: 'int', value: 32 });
    const init = (name: string): number[] => toNumbers(original.initializers.get(name)!);
    const [wq, ws, wz, xs, ys, yz, bq] = ['478_quantized', '478_scale', '478_zero_point', '474_scale', '477_scale', '477_zero_point', '479_quantized'].map(init);
    const w = toNumbers(g.initializers.get(conv.inputs[1]!)!);
    assert.equal(w.length, 32 * 9);
    for (let i = 0; i < w.length; i++) {
      const c = Math.floor(i / 9);
      assert.equal(w[i], Math.fround((wq![i]! - wz![c]!) * ws![c]!));
    }
    const b = toNumbers(g.initializers.get(conv.inputs[2]!)!);
    b.forEach((v, c) => assert.ok(Math.abs(v - bq![c]! * xs![0]! * ws![c]!) <= 1e-6 * Math.abs(v), `bias ${c}`));
    const lo = toNumbers(g.initializers.get(clip.inputs[1]!)!)[0]!;
    const hi = toNumbers(g.initializers.get(clip.inputs[2]!)!)[0]!;
    assert.equal(lo, 0);
    assert.equal(hi, Math.fround((255 - yz![0]!) * ys![0]!));
    assert.ok(Math.abs(hi - 6) < 0.01, 'ReLU6');
  });

  it('every quantized node: its float subgraph gives the exact integer result within half a step', async (t) => {
    // Reference: the int8 model run in exact integer arithmetic from the ONNX spec
    // (test/helpers/qlinear.ts), not ONNX Runtime's int8 kernels, whose results depend on the CPU
    // (AVX2 without VNNI saturates u8×s8 pairs). A 64×64 photo keeps it fast (the ops don't fix
    // the spatial size) with real activation statistics; each node's float subgraph is fed the
    // exact dequantized integer inputs, so errors cannot pile up from node to node.
    const g = withBatch(original, 1);
    const d = dequantize(g);
    const x = await photo64('dog.jpg');
    const env = new Map<string, QTensor>();
    const qt = (name: string, s: string, z: string, given?: { q: ArrayLike<number>; dims: readonly number[] }): QTensor => {
      const v = given ?? env.get(name) ?? g.initializers.get(name)!;
      return { q: 'q' in v ? v.q : (v.data as ArrayLike<number>), dims: v.dims, scale: init(g, s), zeroPoint: init(g, z) };
    };
    const seen = new Map<string, number>();
    let worstAll = 0, minInside = 1;
    for (const n of g.nodes) {
      const [i0, i1, i2] = n.inputs as [string, string, string];
      if (n.opType === 'QuantizeLinear') {
        const to: QOut = { scale: init(g, i1)[0]!, zeroPoint: init(g, i2)[0]!, range: rangeOf(g, i2) };
        env.set(n.outputs[0]!, qt('', i1, i2, { q: x.map((v) => requantize(v, to)), dims: [1, 3, 64, 64] }));
        continue;
      }
      if (n.opType === 'Reshape') {
        const v = env.get(i0)!;
        env.set(n.outputs[0]!, { ...v, dims: [v.dims[0]!, v.q.length / v.dims[0]!] }); // the classifier's flatten
        continue;
      }
      const op = QLINEAR[n.opType];
      if (!op) continue; // DequantizeLinear of the output, and the flatten's shape arithmetic
      const ins = op.activations.map((i) => qt(n.inputs[i]!, n.inputs[i + 1]!, n.inputs[i + 2]!));
      const o = op.output;
      const out: QOut = { scale: init(g, n.inputs[o]!)[0]!, zeroPoint: init(g, n.inputs[o + 1]!)[0]!, range: rangeOf(g, n.inputs[o + 1]!) };
      const want = op.reference(n, g, ins, out);
      env.set(n.outputs[0]!, { q: want.q, dims: want.dims, scale: [out.scale], zeroPoint: [out.zeroPoint] });

      const feeds: Record<string, ort.Tensor> = {};
      op.activations.forEach((i, k) => {
        const name = n.inputs[i]!;
        if (g.initializers.has(name)) return;
        const a = ins[k]!;
        feeds[name] = new ort.Tensor('float32', Float32Array.from(a.q, (v) => (v - a.zeroPoint[0]!) * a.scale[0]!), a.dims as number[]);
      });
      const yName = floatName(g, n.outputs[0]!);
      const sub = cut(d, Object.entries(feeds).map(([name, f]) => ({ name, dims: f.dims as number[] })), yName, want.dims);
      assert.ok(sub.nodes.every((m) => !/Quant/.test(m.opType)), `${n.name}: float ops only`);
      const session = await ort.InferenceSession.create(writeModel(sub));
      const got = (await session.run(feeds))[yName]!.data as Float32Array;
      await session.release();
      assert.equal(got.length, want.q.length, n.name);
      let worst = 0, inside = 0;
      for (let i = 0; i < got.length; i++) {
        worst = Math.max(worst, Math.abs(got[i]! / out.scale - (want.q[i]! - out.zeroPoint)));
        if (want.q[i]! > out.range[0] && want.q[i]! < out.range[1]) inside++;
      }
      worstAll = Math.max(worstAll, worst);
      minInside = Math.min(minInside, inside / got.length);
      // Rounding to the grid is the one step the float graph leaves out: at most half a step.
      assert.ok(worst <= 0.5 + 1e-3, `${n.name}: ${worst.toFixed(4)} steps from the integer result`);
      // Saturated outputs alone would pass a wrong scale: enough must lie inside the range.
      assert.ok(inside >= 0.25 * got.length, `${n.name}: only ${inside}/${got.length} outputs unsaturated`);
      seen.set(n.opType, (seen.get(n.opType) ?? 0) + 1);
    }
    t.diagnostic(`worst ${worstAll.toFixed(4)} steps; at least ${(100 * minInside).toFixed(0)}% of each node's outputs unsaturated`);
    assert.deepEqual(Object.fromEntries(seen), { QLinearConv: 52, QLinearAdd: 11, QLinearGlobalAveragePool: 1, QLinearMatMul: 1 });
  });
});
