import { ZodError } from 'zod';
import { describeError, EXIT } from '../cli/exit-codes.js';

/** A request the server refuses, with the HTTP status to send. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 415 | 422 | 503,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The status and one-line message for any error a request met (the CLI's words, HTTP's codes). */
export function httpError(e: unknown): { status: number; message: string } {
  if (e instanceof HttpError) return { status: e.status, message: e.message };
  if (e instanceof ZodError) return { status: 400, message: describeError(e).message };
  const { code, message } = describeError(e);
  const status = code === EXIT.usage ? 400 : code === EXIT.input ? 422 : code === EXIT.model ? 422 : code === EXIT.cancelled ? 409 : 500;
  return { status, message };
}
