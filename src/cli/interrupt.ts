import { cleanupTempsSync } from '../io/temp-registry.js';
import { CancelledError } from '../errors/cancelled-error.js';

/** Exit codes of a run stopped by a signal: 128 + the signal number, as a shell reports them. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/**
 * How long a run may take to stop on its own after the first signal before it is ended anyway.
 * The work checks the signal between iterations and stages; only a stage that does not return
 * (a long ONNX Runtime call, a download) ever reaches this.
 */
const GRACE_MS = 1000;

let controller = new AbortController();
let received: StopSignal | undefined;

/** The signal every command's work watches; aborted by the first SIGINT or SIGTERM. */
export function stopSignal(): AbortSignal {
  return controller.signal;
}

/** The exit code for the signal received, if any. */
export function signalExitCode(): number | undefined {
  return received && SIGNAL_EXIT[received];
}

function exitNow(code: number): never {
  cleanupTempsSync();
  process.exit(code);
}

/**
 * First SIGINT/SIGTERM: abort `stopSignal()` so the work stops at its next check and cleans up
 * on its way out; if it has not finished within GRACE_MS, or on a second signal, remove the
 * registered temp paths and exit. Returns the function that removes the handlers.
 */
export function installSignalHandlers(): () => void {
  controller = new AbortController();
  received = undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as StopSignal[]).map((name) => {
    const handler = (): void => {
      if (received) exitNow(SIGNAL_EXIT[received]);
      received = name;
      process.stderr.write(`\nneuromask: ${name} received, stopping\n`);
      controller.abort(new CancelledError({ cause: name }));
      setTimeout(() => exitNow(SIGNAL_EXIT[name]), GRACE_MS).unref();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
}
