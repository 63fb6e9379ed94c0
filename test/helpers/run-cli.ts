import { spawn, spawnSync } from 'node:child_process';
import { SHARED_MODELS } from './shared.js';

const ENTRY = new URL('./cli-entry.ts', import.meta.url).pathname;

/**
 * Run the CLI from source in `cwd`, with the named-model cache pointed at ../shared/models (`env`
 * adds or overrides variables). A run past `timeoutMs` is killed and reads as code null.
 */
export function cli(args: string[], cwd: string, o: { env?: Record<string, string>; timeoutMs?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NEUROMASK_HOME: SHARED_MODELS, ...o.env },
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface CliRun {
  /** Resolves with the first stderr match of `re` (the run's progress shows where it is). */
  waitFor(re: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  /** The exit; a run still alive after `limitMs` is SIGKILLed and resolves with code null. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Start the CLI from source in `cwd` without waiting, so a test can signal it mid-run. */
export function startCli(args: string[], cwd: string, limitMs = 90_000): CliRun {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, ...args], {
    cwd,
    env: { ...process.env, NEUROMASK_HOME: SHARED_MODELS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    for (const w of waiters.splice(0)) (w.re.test(stderr) ? w.resolve : () => waiters.push(w))();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiters.splice(0)) w.resolve(); // the test's assertions on the exit say what went wrong
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    waitFor: (re) => new Promise((resolve) => (re.test(stderr) ? resolve() : waiters.push({ re, resolve }))),
    kill: (signal) => child.kill(signal),
    done,
  };
}
