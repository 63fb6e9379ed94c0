/**
 * The int8 operators of a QLinear ONNX model, in exact integer arithmetic, written from the ONNX
 * spec (QLinearConv, QLinearMatMul) and ONNX Runtime's contrib-op docs (QLinearAdd,
 * QLinearGlobalAveragePool), independently of src/: the machine-independent reference that the
 * dequantized float graph is checked against. Products and sums are exact integers (JS numbers
 * hold them exactly far past int32), so no CPU's int8 kernel, saturating or not, enters.
 */

/** A quantized tensor: integer values, one scale and zero point (or one per `axis` entry). */
export interface QTensor {
  readonly q: ArrayLike<number>;
  readonly dims: readonly number[];
  readonly scale: ArrayLike<number>;
  readonly zeroPoint: ArrayLike<number>;
}

/** Output quantization: scale, zero point and the integer range of its type. */
export interface QOut {
  readonly scale: number;
  readonly zeroPoint: number;
  readonly range: readonly [number, number];
}

/** ONNX rounds to nearest, ties to even. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** y = saturate(round(real / y_scale) + y_zero_point). */
export function requantize(real: number, out: QOut): number {
  return Math.min(out.range[1], Math.max(out.range[0], roundHalfEven(real / out.scale) + out.zeroPoint));
}

const perChannel = (v: ArrayLike<number>, c: number): number => (v.length === 1 ? v[0]! : v[c]!);

export interface ConvAttrs {
  readonly group: number;
  readonly strides: readonly [number, number];
  readonly pads: readonly [number, number, number, number];
  readonly dilations: readonly [number, number];
}

/** QLinearConv, NCHW, 2-D: w per output channel (axis 0) or per tensor; bias int32 with scale x_scale·w_scale. */
export function qlinearConv(x: QTensor, w: QTensor, bias: ArrayLike<number> | undefined, a: ConvAttrs, out: QOut): { q: Int32Array; dims: number[] } {
  const [n, c, h, wd] = x.dims as [number, number, number, number];
  const [m, cg, kh, kw] = w.dims as [number, number, number, number];
  const [sh, sw] = a.strides;
  const [dh, dw] = a.dilations;
  const [pt, pl, pb, pr] = a.pads;
  const oh = Math.floor((h + pt + pb - dh * (kh - 1) - 1) / sh) + 1;
  const ow = Math.floor((wd + pl + pr - dw * (kw - 1) - 1) / sw) + 1;
  if (cg * a.group !== c) throw new Error(`conv: ${c} input channels, ${cg} per group × ${a.group} groups`);
  const mg = m / a.group;
  const xz = x.zeroPoint[0]!;
  const y = new Int32Array(n * m * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / mg);
      const wz = perChannel(w.zeroPoint, o);
      const multiplier = x.scale[0]! * perChannel(w.scale, o);
      for (let yy = 0; yy < oh; yy++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = bias ? bias[o]! : 0;
          for (let ci = 0; ci < cg; ci++) {
            const xc = ((b * c + g * cg + ci) * h) * wd;
            const wc = ((o * cg + ci) * kh) * kw;
            for (let i = 0; i < kh; i++) {
              const iy = yy * sh - pt + i * dh;
              if (iy < 0 || iy >= h) continue; // padding holds the zero point: contributes 0
              for (let j = 0; j < kw; j++) {
                const ix = xx * sw - pl + j * dw;
                if (ix < 0 || ix >= wd) continue;
                acc += (x.q[xc + iy * wd + ix]! - xz) * (w.q[wc + i * kw + j]! - wz);
              }
            }
          }
          y[((b * m + o) * oh + yy) * ow + xx] = requantize(acc * multiplier, out);
        }
    }
  return { q: y, dims: [n, m, oh, ow] };
}

/** QLinearMatMul of a [n, k] by b [k, m], b per tensor or per column. */
export function qlinearMatMul(a: QTensor, b: QTensor, out: QOut): { q: Int32Array; dims: number[] } {
  const [n, k] = a.dims as [number, number];
  const m = b.dims[1]!;
  const az = a.zeroPoint[0]!;
  const y = new Int32Array(n * m);
  for (let r = 0; r < n; r++)
    for (let col = 0; col < m; col++) {
      const bz = perChannel(b.zeroPoint, col);
      let acc = 0;
      for (let i = 0; i < k; i++) acc += (a.q[r * k + i]! - az) * (b.q[i * m + col]! - bz);
      y[r * m + col] = requantize(acc * a.scale[0]! * perChannel(b.scale, col), out);
    }
  return { q: y, dims: [n, m] };
}

/** com.microsoft QLinearAdd: C = quantize(dequantize(A) + dequantize(B)), B broadcast over A's leading dims. */
export function qlinearAdd(a: QTensor, b: QTensor, out: QOut): { q: Int32Array; dims: number[] } {
  const nb = b.q.length;
  const y = new Int32Array(a.q.length);
  for (let i = 0; i < a.q.length; i++) {
    const real = a.scale[0]! * (a.q[i]! - a.zeroPoint[0]!) + b.scale[0]! * (b.q[i % nb]! - b.zeroPoint[0]!);
    y[i] = requantize(real, out);
  }
  return { q: y, dims: [...a.dims] };
}

/** com.microsoft QLinearGlobalAveragePool, NCHW: the mean over H×W of the dequantized input. */
export function qlinearGlobalAveragePool(x: QTensor, out: QOut): { q: Int32Array; dims: number[] } {
  const [n, c, h, w] = x.dims as [number, number, number, number];
  const y = new Int32Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let acc = 0;
    for (let p = 0; p < h * w; p++) acc += x.q[i * h * w + p]! - x.zeroPoint[0]!;
    y[i] = requantize((acc * x.scale[0]!) / (h * w), out);
  }
  return { q: y, dims: [n, c, 1, 1] };
}
