import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readModel } from '../src/onnx/read.js';
import { dequantize, prepareGraph, withBatch } from '../src/onnx/rewrites/index.js';
import { inferShapes } from '../src/onnx/shapes.js';
import { toNumbers } from '../src/onnx/tensor.js';
import type { Graph } from '../src/onnx/types.js';
import { writeModel } from '../src/onnx/write.js';

const DIR = new URL('../../shared/models/mobilenetv2-12-int8/', import.meta.url);
const MODEL = new URL('mobilenetv2-12-int8.onnx', DIR).pathname;
const IMAGES = new URL('../../shared/images/', import.meta.url).pathname;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const PHOTOS: [string, number][] = [
  ['dog.jpg', 249], ['eagle.jpg', 22], ['orange.jpg', 950], ['baboon.jpg', 372], ['butterfly.jpg', 321],
  ['chelsea.png', 285], ['coffee.png', 967], ['motorcycle_left.png', 665],
];

const argmax = (v: ArrayLike<number>): number => {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[k]!) k = i;
  return k;
};

function pearson(a: Float32Array, b: Float32Array): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** README preprocessing: shorter side 256, centre crop 224, ImageNet mean/std, NCHW. */
async function photo(file: string, out: Float32Array, k: number): Promise<void> {
  const r = await sharp(IMAGES + file).removeAlpha().resize(256, 256, { fit: 'outside' }).raw().toBuffer({ resolveWithObject: true });
  const { width, height } = r.info;
  const crop = await sharp(r.data, { raw: { width, height, channels: 3 } })
    .extract({ left: Math.floor((width - 224) / 2), top: Math.floor((height - 224) / 2), width: 224, height: 224 })
    .raw().toBuffer();
  for (let i = 0; i < 224 * 224; i++) for (let c = 0; c < 3; c++) out[(k * 3 + c) * 224 * 224 + i] = (crop[i * 3 + c]! / 255 - MEAN[c]!) / STD[c]!;
}

describe('dequantize MobileNetV2 int8', { skip: !existsSync(MODEL) || !existsSync(IMAGES) ? 'model or images not present' : false }, () => {
  let original: Graph;
  let int8: ort.InferenceSession;
  before(async () => {
    original = readModel(readFileSync(MODEL), MODEL);
    int8 = await ort.InferenceSession.create(MODEL);
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

  it('each dequantized layer reproduces the int8 layer within half a quantization step', async () => {
    // Feed the float Conv+Clip the int8 model's own (dequantized) input to isolate one layer.
    const g = withBatch(original, 1);
    const shapes = inferShapes(dequantize(g));
    const probe: Graph = {
      ...g,
      nodes: [...g.nodes, ...['474', '477'].map((t) => ({ opType: 'DequantizeLinear', domain: '', name: `probe_${t}`, inputs: [`${t}_quantized`, `${t}_scale`, `${t}_zero_point`], outputs: [`probe_${t}`], attrs: {} }))],
      outputs: ['474', '477'].map((t) => ({ name: `probe_${t}`, dtype: 'float32' as const, shape: shapes.get(`${t}_quantized`)!.dims })),
    };
    const x = new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i * 0.37) * 2);
    const ref = await (await ort.InferenceSession.create(writeModel(probe))).run({ input: new ort.Tensor('float32', x, [1, 3, 224, 224]) });
    const d = dequantize(g);
    const first = d.nodes.findIndex((n) => n.inputs[0] === '474_quantized');
    const last = d.nodes.findIndex((n) => n.outputs[0] === '477_quantized');
    const layer: Graph = {
      ...d,
      nodes: d.nodes.slice(first, last + 1),
      inputs: [{ name: '474_quantized', dtype: 'float32', shape: shapes.get('474_quantized')!.dims }],
      outputs: [{ name: '477_quantized', dtype: 'float32', shape: shapes.get('477_quantized')!.dims }],
    };
    const out = await (await ort.InferenceSession.create(writeModel(layer))).run({ '474_quantized': ref.probe_474! });
    const a = ref.probe_477!.data as Float32Array;
    const b = out['477_quantized']!.data as Float32Array;
    const step = toNumbers(original.initializers.get('477_scale')!)[0]!;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    assert.ok(worst <= 0.5 * step * 1.01, `max error ${worst / step} steps`);
  });

  it('agrees with the int8 model on random inputs (correlated logits) and on photos (top-1)', async () => {
    const n = PHOTOS.length;
    const float = await ort.InferenceSession.create(writeModel(prepareGraph(original, { batch: n })));
    const run = async (x: Float32Array): Promise<[Float32Array, Float32Array]> => {
      const t = new ort.Tensor('float32', x, [n, 3, 224, 224]);
      return [(await int8.run({ input: t })).output!.data as Float32Array, (await float.run({ input: t })).output!.data as Float32Array];
    };
    let s = 7;
    const noise = Float32Array.from({ length: n * 3 * 224 * 224 }, (_, i) => {
      s = (s * 1103515245 + 12345) % 2147483648;
      const c = Math.floor(i / (224 * 224)) % 3;
      return (s / 2147483648 - MEAN[c]!) / STD[c]!;
    });
    const photos = new Float32Array(n * 3 * 224 * 224);
    await Promise.all(PHOTOS.map(([f], k) => photo(f, photos, k)));
    const report: string[] = [];
    for (const [label, x] of [['random', noise], ['photos', photos]] as const) {
      const [a, b] = await run(x);
      let maxDelta = 0, agree = 0, minCorr = 1;
      for (let k = 0; k < n; k++) {
        const la = a.subarray(k * 1000, (k + 1) * 1000);
        const lb = b.subarray(k * 1000, (k + 1) * 1000);
        for (let i = 0; i < 1000; i++) maxDelta = Math.max(maxDelta, Math.abs(la[i]! - lb[i]!));
        minCorr = Math.min(minCorr, pearson(la, lb));
        if (argmax(la) === argmax(lb)) agree++;
        if (label === 'photos') {
          assert.equal(argmax(la), PHOTOS[k]![1], `int8 top-1 of ${PHOTOS[k]![0]}`);
          assert.equal(argmax(lb), PHOTOS[k]![1], `float top-1 of ${PHOTOS[k]![0]}`);
        }
      }
      report.push(`${label}: max|Δlogit| ${maxDelta.toFixed(3)}, min corr ${minCorr.toFixed(4)}, top-1 agree ${agree}/${n}`);
      assert.ok(minCorr > (label === 'photos' ? 0.95 : 0.9), report.at(-1));
      assert.ok(maxDelta < 5, report.at(-1));
    }
    console.log(report.join('\n'));
  });
});
