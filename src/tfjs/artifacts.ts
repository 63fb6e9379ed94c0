import { ModelFormatError } from '../errors/model-format-error.js';
import { TfjsModelJsonSchema, type TfjsModelJson } from './types.js';

export function parseModelJson(raw: unknown, source: string): TfjsModelJson {
  const parsed = TfjsModelJsonSchema.safeParse(raw);
  if (!parsed.success) throw new ModelFormatError(`not a TF.js model.json: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, { source, cause: parsed.error });
  return parsed.data;
}

/** Concatenate byte chunks (the weight shards, in manifest order). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
