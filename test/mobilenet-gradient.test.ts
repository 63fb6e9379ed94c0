import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildGradient } from '../src/autodiff/index.js';
import type { ImageInput } from '../src/image/load.js';
import { GraphBuilder } from '../src/onnx/builder.js';
import { writeModel } from '../src/onnx/write.js';
import type { Engine } from '../src/runtime/engine.js';
import { createSession, type Session } from '../src/runtime/session.js';
import { rng } from '../src/util/random.js';
import { mobilenetWithPhoto } from './helpers/shared.js';

// Gradient of the malamute logit with respect to the model's (normalised) input.
describe('dequantized MobileNetV2: gradient session', () => {
  let engine: Engine;
  let image: ImageInput;
  let grad: Session;
  let x: Float32Array;
  let loss: string;
  let gradName: string;
  before(async () => {
    ({ engine, image } = await mobilenetWithPhoto('dog.jpg'));
    const c = engine.classifier;
    const b = new GraphBuilder(engine.graph(1));
    const onehot = new Float32Array(1000);
    onehot[249] = 1;
    loss = b.add('ReduceSum', [b.add('Mul', [c.outputName, b.floats([1, 1000], onehot)])], { keepdims: 0 });
    b.output(loss, 'float32', []);
    const built = buildGradient(b.build(), { of: loss, wrt: [c.inputName] });
    gradName = built.gradients[c.inputName]!;
    grad = await createSession(writeModel(built.graph), { ep: 'cpu', threads: 2 });
    const { mean, std } = c.spec;
    x = image.pixels.map((v, i) => (v - mean[Math.floor(i / 50176)]!) / std[Math.floor(i / 50176)]!);
  });
  after(async () => {
    await grad.release();
    await engine.release();
  });

  const run = (v: Float32Array) => grad.run({ [engine.classifier.inputName]: { data: v, dims: [1, 3, 224, 224] } });

  it('its logits equal the plain forward session\'s', async () => {
    const r = await run(x);
    const plain = await engine.forward(image.pixels, 1);
    for (const k of [0, 249, 444, 999]) assert.ok(Math.abs(r[engine.classifier.outputName]!.data[k]! - plain[k]!) < 1e-4);
    assert.ok(Math.abs(r[loss]!.data[0]! - plain[249]!) < 1e-4);
  });

  it('matches central finite differences at sampled pixels', async () => {
    const g = (await run(x))[gradName]!.data;
    const byMagnitude = [...g.keys()].sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
    const r = rng(5);
    const picks = [...byMagnitude.slice(0, 12), ...Array.from({ length: 12 }, () => byMagnitude[Math.floor(r() * 2000)]!)];
    const h = 1e-2;
    const scale = Math.abs(g[byMagnitude[0]!]!);
    const errors: number[] = [];
    const pairs: [number, number][] = [];
    for (const p of picks) {
      const plus = x.slice();
      const minus = x.slice();
      plus[p]! += h;
      minus[p]! -= h;
      const fd = ((await run(plus))[loss]!.data[0]! - (await run(minus))[loss]!.data[0]!) / (2 * h);
      pairs.push([g[p]!, fd]);
      errors.push(Math.abs(fd - g[p]!) / Math.max(Math.abs(g[p]!), 0.05 * scale));
    }
    // A ±h step of one pixel can cross a ReLU6 kink in a few early units, so single samples may
    // disagree; a wrong rule would make most of them disagree.
    const good = errors.filter((e) => e < 0.1).length;
    assert.ok(good >= 0.75 * errors.length, `only ${good}/${errors.length} within 10%: ${errors.map((e) => e.toFixed(3))}`);
    const [ga, fa] = [pairs.map((q) => q[0]), pairs.map((q) => q[1])];
    const dot = ga.reduce((s, v, i) => s + v * fa[i]!, 0);
    const cos = dot / Math.sqrt(ga.reduce((s, v) => s + v * v, 0) * fa.reduce((s, v) => s + v * v, 0));
    assert.ok(cos > 0.99, `cosine ${cos}`);
  });
});
