import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Debian's python3-torch lives in the system interpreter, not in whatever python3 is first on PATH. */
export const PYTHON = process.env.NEUROMASK_BENCH_PYTHON ?? '/usr/bin/python3';
const TORCH_DIR = fileURLToPath(new URL('./torch/', import.meta.url));
const run = promisify(execFile);

/** torch's version, or undefined when the interpreter or torch is missing. */
export async function torchVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await run(PYTHON, ['-c', 'import torch; print(torch.__version__)']);
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** Run one bench/torch script and parse the JSON lines it prints. */
export async function torchScript<T>(script: string, args: (string | number)[]): Promise<T[]> {
  // Passive OpenMP waits: with spinning waits, 2-thread torch runs ~40× slower whenever anything else holds a core.
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const { stdout } = await run(PYTHON, [script, ...args.map(String)], { cwd: TORCH_DIR, env, maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}
