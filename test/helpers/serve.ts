import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { CliProcess } from './cli-process.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let built: Promise<string> | undefined;

/** The page built from this checkout's app/ into a temp folder (once per test process), so a stale dist/ is never tested. */
export function buildPage(): Promise<string> {
  built ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'neuromask-page-'));
    await build({ configFile: join(ROOT, 'app/vite.config.ts'), logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
    return out;
  })();
  return built;
}

/** `neuromask serve` from source on a free loopback port, serving the freshly built page. */
export async function startServe(args: string[] = [], cwd = ROOT): Promise<{ proc: CliProcess; url: string }> {
  process.env['NEUROMASK_APP_DIR'] = await buildPage();
  const proc = new CliProcess(['serve', '--port', '0', ...args], cwd);
  const m = await proc.waitFor(/serving on (http:\/\/\S+)/, 120_000);
  return { proc, url: m[1]! };
}
