import type { Command } from 'commander';
import { cacheRoot } from '../../models/cache.js';
import { listModels } from '../../models/list.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the built-in and named models and where they are')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const rows = await listModels();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const size = r.sizeBytes ? `${(r.sizeBytes / 1e6).toFixed(1)} MB` : '';
        process.stdout.write(`${r.name.padEnd(24)} ${r.kind.padEnd(8)} ${r.format.padEnd(11)} ${String(r.classes).padStart(5)} classes  ${r.input.padEnd(34)} ${size.padStart(8)}\n`);
        process.stdout.write(`${''.padEnd(24)} ${r.source}\n${''.padEnd(24)} ${r.location}\n`);
      }
      process.stdout.write(`cache: ${cacheRoot()} (set NEUROMASK_HOME to move it)\n`);
    });
}
