#!/usr/bin/env node
// Runs the compiled CLI (npm ci / npm run build make dist/).
import { main } from '../dist/cli/main.js';

// A reader that went away (`neuromask models | head -3`) ends the program quietly, as for other Unix tools.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
