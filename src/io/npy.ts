/** NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html). */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** A .npy file we cannot read: bad magic, unsupported dtype or order, or truncated data. */
export class NpyFormatError extends Error {
  override readonly name = 'NpyFormatError';
}

/** Version 1.0, '<f4', C order; the header is space-padded so the data starts on a 64-byte boundary. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new RangeError(`encodeNpy: shape [${shape.join(', ')}] does not hold ${data.length} values`);
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  const unpadded = 10 + header.length + 1; // magic + version + u16 length + dict + '\n'
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // DataView, not a Float32Array view: explicit little-endian whatever the host.
  const base = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(base + i * 4, data[i]!, true);
  return out;
}

/** Reads versions 1-3 with dtype '<f4' or '<f8' (converted to float32) in C order. */
export function decodeNpy(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError('not a .npy file (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major !== 1 && major !== 2 && major !== 3) throw new NpyFormatError(`unsupported .npy version ${major}`);
  const lenSize = major === 1 ? 2 : 4;
  const headerLen = lenSize === 2 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenSize;
  if (start + headerLen > bytes.length) throw new NpyFormatError('truncated .npy header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError(`malformed .npy header: ${header.trim()}`);
  }
  if (descr !== '<f4' && descr !== '<f8') {
    throw new NpyFormatError(`unsupported .npy dtype '${descr}': only little-endian float32 ('<f4') and float64 ('<f8')`);
  }
  if (fortran === 'True') throw new NpyFormatError('unsupported .npy layout: Fortran order');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new NpyFormatError(`bad .npy shape (${shapeText})`);

  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = descr === '<f4' ? 4 : 8;
  const dataStart = start + headerLen;
  if (bytes.length - dataStart < count * itemSize) {
    throw new NpyFormatError(`truncated .npy data: need ${count * itemSize} bytes, have ${bytes.length - dataStart}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const at = dataStart + i * itemSize;
    data[i] = itemSize === 4 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  }
  return { data, shape };
}
