import type { Command } from 'commander';
import { z } from 'zod';
import { parseInput } from '../../errors/parse-input.js';
import { createApp } from '../../server/app.js';
import { isLoopback, listen } from '../../server/listen.js';
import { ModelPool } from '../../server/models.js';
import { ResultsBrowser } from '../../server/results.js';
import { defaultPageDir } from '../../server/static.js';
import { stopSignal } from '../interrupt.js';
import { runtimeOptions, RuntimeFlagsSchema } from '../runtime-flags.js';

const ServeFlagsSchema = RuntimeFlagsSchema.extend({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  results: z.string().min(1).optional(),
});

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the web app: open an image, watch the mask learn, compare methods and models (binds 127.0.0.1 unless --host is given)')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option('--host <address>', 'address to bind (default 127.0.0.1; anything else is reachable from other machines)')
    .option('-m, --model <model>', 'a model to offer first (a name, an .onnx path or a TF.js model.json), beside the built-ins and cached models')
    .option('--results <dir>', 'output folder of compare/evaluate to browse on the page')
    .option('--threads <n>', 'CPU threads for explanations computed on the server (default: all cores)')
    .option('--no-spin', 'idle ONNX Runtime threads sleep instead of spinning')
    .action(async (raw: Record<string, unknown>) => {
      const f = parseInput(ServeFlagsSchema, raw, { flags: true });
      const host = f.host ?? '127.0.0.1';
      const signal = stopSignal();
      const results = f.results ? await ResultsBrowser.open(f.results) : undefined;
      const pool = new ModelPool(runtimeOptions({ ...f, ep: 'cpu' }), signal, f.model);
      await pool.list(); // a bad --model fails here, before the port is taken
      const { app, cancelAll } = createApp({ pool, pageDir: defaultPageDir(), ...(results ? { results } : {}) });
      const server = await listen(app, host, f.port);
      if (!isLoopback(host)) process.stderr.write(`neuromask: warning: listening on ${host}: other machines on the network can open this page and use its compute\n`);
      process.stderr.write(`neuromask: serving on ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      cancelAll();
      await server.close();
      await pool.release();
      process.stderr.write('neuromask: server stopped\n');
    });
}
