import { ZodError } from 'zod';
import { CancelledError } from '../errors/cancelled-error.js';
import { ChecksumError } from '../errors/checksum-error.js';
import { ImageError } from '../errors/image-error.js';
import { ModelFormatError } from '../errors/model-format-error.js';
import { ModelMismatchError } from '../errors/model-mismatch-error.js';
import { QueueError } from '../errors/queue-error.js';
import { ModelNotFoundError } from '../errors/model-not-found-error.js';
import { RuntimeError } from '../errors/runtime-error.js';
import { UnknownLabelError } from '../errors/unknown-label-error.js';
import { UnsupportedOpError } from '../errors/unsupported-op-error.js';
import { UsageError } from '../errors/usage-error.js';
import { NpyFormatError } from '../io/npy.js';
import { describeZodError } from '../util/zod-words.js';

export const EXIT = { ok: 0, failure: 1, usage: 2, input: 3, model: 4, runtime: 5, cancelled: 130 } as const;

/** The one place typed errors become exit codes and one-line messages. */
export function describeError(e: unknown): { code: number; message: string } {
  if (e instanceof ZodError) return { code: EXIT.usage, message: `invalid options: ${describeZodError(e)}` };
  if (e instanceof UsageError || e instanceof UnknownLabelError || e instanceof RangeError) return { code: EXIT.usage, message: e.message };
  if (e instanceof ImageError || e instanceof NpyFormatError) return { code: EXIT.input, message: e.message };
  if (e instanceof QueueError) return { code: EXIT.failure, message: e.message };
  if (e instanceof ModelMismatchError || e instanceof ModelFormatError || e instanceof ModelNotFoundError || e instanceof ChecksumError || e instanceof UnsupportedOpError) {
    return { code: EXIT.model, message: e.message };
  }
  if (e instanceof RuntimeError) return { code: EXIT.runtime, message: e.message };
  if (e instanceof CancelledError) return { code: EXIT.cancelled, message: 'cancelled' };
  return { code: EXIT.failure, message: e instanceof Error ? e.message : String(e) };
}
