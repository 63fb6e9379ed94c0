import { Command, CommanderError } from 'commander';
import { versions } from '../util/versions.js';
import { describeError, EXIT } from './exit-codes.js';
import { installSignalHandlers, signalExitCode } from './interrupt.js';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when needed: importing all of them (BullMQ, the report
 * builder, every method) costs ~0.35 s before `explain` starts, a tenth of a whole run.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  explain: async () => (await import('./commands/explain.js')).registerExplain,
  inspect: async () => (await import('./commands/inspect.js')).registerInspect,
  models: async () => (await import('./commands/models.js')).registerModels,
  compare: async () => (await import('./commands/compare.js')).registerCompare,
  evaluate: async () => (await import('./commands/evaluate.js')).registerEvaluate,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  status: async () => (await import('./commands/status.js')).registerStatus,
  retry: async () => (await import('./commands/retry.js')).registerRetry,
  serve: async () => (await import('./commands/serve.js')).registerServe,
};

/** The named command alone; every command for help, --version, or a name commander must reject. */
async function registerCommands(program: Command, first: string | undefined): Promise<void> {
  const only = first !== undefined ? COMMANDS[first] : undefined;
  const loaders = only ? [only] : Object.values(COMMANDS);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('neuromask')
    .description('explain image classifiers: NeuroMask mask learning on ONNX Runtime')
    .version(versions()['neuromask'] ?? '0.0.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  await registerCommands(program, argv[0]);
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
