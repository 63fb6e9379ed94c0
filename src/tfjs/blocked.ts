import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import type { TfjsFormat } from './types.js';

export interface Missing {
  /** Keras layer class or TF op. */
  type: string;
  /** The layer's or node's name. */
  name: string;
}

/** A TF.js model read but not converted: enough for `inspect` to say what blocks it. */
export interface TfjsSurvey {
  format: TfjsFormat;
  /** TF order (NHWC); undefined when the topology does not say. */
  inputShape: (number | null)[] | undefined;
  /** Layer classes or TF ops as stored, with counts. */
  sourceOps: Record<string, number>;
  /** Every layer or node without a converter. */
  missing: Missing[];
}

/** One entry per missing type: "LSTM 'lstm_1'", "TopKV2 'topk' (+2 more)". */
export function describeMissing(missing: readonly Missing[]): string[] {
  const byType = new Map<string, Missing[]>();
  for (const m of missing) byType.set(m.type, [...(byType.get(m.type) ?? []), m]);
  return [...byType.values()].map((ms) => `${ms[0]!.type} '${ms[0]!.name}'${ms.length > 1 ? ` (+${ms.length - 1} more)` : ''}`);
}

/** The error naming every missing layer type or op at once, or undefined when nothing is missing. */
export function blockedError(s: TfjsSurvey, supported: readonly string[]): UnsupportedOpError | undefined {
  const first = s.missing[0];
  if (!first) return undefined;
  const what = s.format === 'layers' ? 'TF.js layers' : 'TF ops';
  return new UnsupportedOpError(first.type, first.name, { detail: `${what} without a converter: ${describeMissing(s.missing).join(', ')} (supported: ${[...supported].sort().join(', ')})` });
}
