import { CancelledError } from '../errors/cancelled-error.js';

/** setImmediate runs after the event loop's poll phase, which is where Node delivers a signal. */
const yieldToEvents = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Where long work may stop: let a pending signal handler run (ONNX Runtime's Node binding runs
 * each session synchronously, so without this yield a Ctrl-C during one step is seen only after
 * the next), then throw a CancelledError if `signal` has aborted. Free without a signal.
 */
export async function stopPoint(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await yieldToEvents();
  if (signal.aborted) throw new CancelledError({ cause: signal.reason });
}
