import { Command, CommanderError } from 'commander';
import { versions } from '../util/versions.js';
import { registerCompare } from './commands/compare.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerExplain } from './commands/explain.js';
import { registerInspect } from './commands/inspect.js';
import { registerModels } from './commands/models.js';
import { registerRetry } from './commands/retry.js';
import { registerServe } from './commands/serve.js';
import { registerStatus } from './commands/status.js';
import { registerWorker } from './commands/worker.js';
import { describeError, EXIT } from './exit-codes.js';
import { installSignalHandlers, signalExitCode } from './interrupt.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('neuromask')
    .description('explain image classifiers: NeuroMask mask learning on ONNX Runtime')
    .version(versions()['neuromask'] ?? '0.0.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerExplain(program);
  registerInspect(program);
  registerModels(program);
  registerCompare(program);
  registerEvaluate(program);
  registerWorker(program);
  registerStatus(program);
  registerRetry(program);
  registerServe(program);
  // A worker handles SIGTERM itself: it finishes the job in hand (however long) and exits 0.
  const removeHandlers = argv[0] === 'worker' ? () => undefined : installSignalHandlers();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // A signal that came after the last check still means the run was interrupted.
    return signalExitCode() ?? (typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const interrupted = signalExitCode();
    if (interrupted !== undefined) {
      process.stderr.write('neuromask: interrupted; nothing half-written was left\n');
      return interrupted;
    }
    const { code, message } = describeError(e);
    process.stderr.write(`neuromask: ${message}\n`);
    if (process.env['NEUROMASK_DEBUG']) console.error(e);
    return code;
  } finally {
    removeHandlers();
  }
}
