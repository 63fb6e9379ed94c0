import { spawnSync } from 'node:child_process';
import { SHARED_MODELS } from './shared.js';

const ENTRY = new URL('./cli-entry.ts', import.meta.url).pathname;

/** Run the CLI from source in `cwd`, with the named-model cache pointed at ../shared/models. */
export function cli(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NEUROMASK_HOME: SHARED_MODELS },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
