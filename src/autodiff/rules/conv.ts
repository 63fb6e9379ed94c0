import { UnsupportedOpError } from '../../errors/unsupported-op-error.js';
import { tensor } from '../../onnx/tensor.js';
import type { Node, Tensor } from '../../onnx/types.js';
import { convGeometry } from '../conv-geometry.js';
import { registerRule } from '../registry.js';
import type { GradContext } from '../types.js';

/**
 * Weights for the input gradient of a stride-1 conv as another conv: per group, swap in/out
 * channels and flip the kernel. Built once at load time; ONNX Runtime then runs its fast Conv
 * kernels (ConvTranspose with many groups was several times slower on CPU).
 */
export function flippedTransposedWeights(w: Tensor, group: number): Tensor {
  const [m, cg, kh, kw] = w.dims as [number, number, number, number];
  const src = w.data as Float32Array;
  const mg = m / group;
  const out = new Float32Array(src.length);
  const k = kh * kw;
  for (let g = 0; g < group; g++)
    for (let mi = 0; mi < mg; mi++)
      for (let c = 0; c < cg; c++) {
        const from = ((g * mg + mi) * cg + c) * k;
        const to = ((g * cg + c) * mg + mi) * k;
        for (let i = 0; i < k; i++) out[to + i] = src[from + k - 1 - i]!;
      }
  return tensor('float32', [group * cg, mg, kh, kw], out);
}

const flippedCache = new WeakMap<Tensor, Map<number, Tensor>>();

function flipped(w: Tensor, group: number): Tensor {
  let byGroup = flippedCache.get(w);
  if (!byGroup) flippedCache.set(w, (byGroup = new Map()));
  let t = byGroup.get(group);
  if (!t) byGroup.set(group, (t = flippedTransposedWeights(w, group)));
  return t;
}

function convInputGrad(n: Node, gy: string, ctx: GradContext): string {
  const [x, wName] = n.inputs as [string, string];
  const w = ctx.constant(wName);
  if (!w || w.dtype !== 'float32') {
    throw new UnsupportedOpError('Conv', n.name, { detail: 'the weights must be constant float32 (frozen model)' });
  }
  const xs = ctx.shape(x);
  const ys = ctx.shape(n.outputs[0]!);
  if (xs.length !== 4) throw new UnsupportedOpError('Conv', n.name, { detail: `only 2-D convolutions are supported (input rank ${xs.length})` });
  const geo = convGeometry(n, w.dims.slice(2), xs.slice(2), ys.slice(2));
  const [kh, kw] = geo.kernel;
  const [dh, dw] = geo.dilations;
  const [pt, pl, pb, pr] = geo.pads;
  const flipPads = [dh * (kh - 1) - pt, dw * (kw - 1) - pl, dh * (kh - 1) - pb, dw * (kw - 1) - pr];
  const strided = geo.strides[0] !== 1 || geo.strides[1] !== 1;
  if (!strided && flipPads.every((p) => p >= 0)) {
    const wf = ctx.b.constant(flipped(w, geo.group), `${wName}_flipT`);
    return ctx.b.add('Conv', [gy, wf], {
      group: geo.group,
      kernel_shape: [kh, kw],
      pads: flipPads,
      dilations: [dh, dw],
      strides: [1, 1],
    });
  }
  // The forward weight layout [M, C/G, kh, kw] is already ConvTranspose's [C_in, C_out/G, kh, kw].
  const outputPadding = [0, 1].map(
    (i) => xs[2 + i]! - ((ys[2 + i]! - 1) * geo.strides[i]! - geo.pads[i]! - geo.pads[i + 2]! + geo.dilations[i]! * (geo.kernel[i]! - 1) + 1),
  );
  return ctx.b.add('ConvTranspose', [gy, wName], {
    group: geo.group,
    kernel_shape: [kh, kw],
    pads: geo.pads,
    dilations: geo.dilations,
    strides: geo.strides,
    output_padding: outputPadding,
  });
}

registerRule('Conv', (n, [gy], ctx) => {
  if (!gy) return [];
  const [x, w, bias] = n.inputs;
  if (ctx.needsGrad(w!) || (bias && ctx.needsGrad(bias))) {
    throw new UnsupportedOpError('Conv', n.name, { detail: 'gradients of convolution weights are not supported (the model is frozen)' });
  }
  return [ctx.needsGrad(x!) ? convInputGrad(n, gy, ctx) : undefined];
});
