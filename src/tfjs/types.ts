import { z } from 'zod';

/** One weight in a TF.js weights manifest; `quantization` marks uint8/uint16/float16 storage. */
export const WeightSpecSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']),
  quantization: z
    .object({
      dtype: z.enum(['uint8', 'uint16', 'float16']),
      min: z.number().optional(),
      scale: z.number().optional(),
      original_dtype: z.string().optional(),
    })
    .optional(),
});
export type WeightSpec = z.infer<typeof WeightSpecSchema>;

export const WeightsGroupSchema = z.object({ paths: z.array(z.string()), weights: z.array(WeightSpecSchema) });

/** `model.json` of a TF.js Layers or Graph model (topology kept loose: the importers read it). */
export const TfjsModelJsonSchema = z.object({
  format: z.string().optional(),
  generatedBy: z.string().optional(),
  convertedBy: z.string().nullable().optional(),
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(WeightsGroupSchema).default([]),
  signature: z.unknown().optional(),
  userDefinedMetadata: z.record(z.string(), z.unknown()).optional(),
});
export type TfjsModelJson = z.infer<typeof TfjsModelJsonSchema>;

/** A model.json plus the concatenation of all its weight shards, in manifest order. */
export interface TfjsArtifacts {
  json: TfjsModelJson;
  weightData: Uint8Array;
  /** Where it came from, for error messages. */
  source: string;
}

export type TfjsFormat = 'layers' | 'graph';

export function tfjsFormat(json: TfjsModelJson): TfjsFormat {
  if (json.format === 'graph-model' || Array.isArray(json.modelTopology['node'])) return 'graph';
  return 'layers';
}
