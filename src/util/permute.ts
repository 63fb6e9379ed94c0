/** Host-side axis permutation of a dense row-major array: out.dims[i] = dims[perm[i]]. */
export function permute<T extends Float32Array | Int32Array>(data: T, dims: readonly number[], perm: readonly number[]): { data: T; dims: number[] } {
  const rank = dims.length;
  if (perm.length !== rank) throw new RangeError(`permutation [${perm.join(',')}] does not fit rank ${rank}`);
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * dims[i + 1]!;
  const stride = perm.map((p) => inStrides[p]!);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    // Odometer over the output index, tracking the matching input offset.
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]!++;
      src += stride[a]!;
      if (idx[a]! < outDims[a]!) break;
      src -= stride[a]! * outDims[a]!;
      idx[a] = 0;
    }
  }
  return { data: out, dims: outDims };
}
