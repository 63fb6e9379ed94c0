import { spawnSync } from 'node:child_process';
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
