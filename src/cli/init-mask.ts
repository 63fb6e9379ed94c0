import { readFile } from 'node:fs/promises';
import { decodeNpy, NpyFormatError } from '../io/npy.js';

/** Row-major position of flat index `i` in `shape`, e.g. [3, 17]. */
function position(i: number, shape: readonly number[]): number[] {
  const at: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    at.unshift(d > 0 ? i % d : 0);
    i = d > 0 ? Math.floor(i / d) : 0;
  }
  return at;
}

/**
 * `--init-mask file.npy`: the initial mask logits, every one finite. A NaN or ±Inf would run the
 * whole optimisation to a NaN mask; an unreadable or malformed file is an input error (exit 3)
 * naming the file.
 */
export async function readInitMask(path: string): Promise<Float32Array> {
  let npy: { data: Float32Array; shape: number[] };
  try {
    npy = decodeNpy(await readFile(path));
  } catch (cause) {
    const why = cause instanceof NpyFormatError ? cause.message : `cannot read (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`;
    throw new NpyFormatError(`--init-mask ${path}: ${why}`, { cause });
  }
  const bad = npy.data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    const at = npy.shape.length > 1 ? ` (at [${position(bad, npy.shape).join(', ')}])` : '';
    throw new NpyFormatError(`--init-mask ${path}: value ${bad}${at} is ${npy.data[bad]}; initial mask logits must be finite`);
  }
  return npy.data;
}
