import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';

/** Where `npm run build` puts the page: dist/app at the package root (this file is two levels below it in src/ and dist/). */
export function defaultPageDir(): string {
  return process.env['NEUROMASK_APP_DIR'] ?? fileURLToPath(new URL('../../dist/app/', import.meta.url));
}

/** Text, scripts and JSON are compressed as they are sent; the .wasm was compressed at build time (.br, .gz). */
const COMPRESSIBLE = /^(text\/(html|css|javascript|plain)|application\/(javascript|json|wasm|manifest\+json)|image\/svg\+xml)/;

/** The built page's files, compressed when the browser takes it; a clear page when it was never built. */
export function staticFiles(pageDir: string): MiddlewareHandler {
  const files = new Hono();
  if (!existsSync(join(pageDir, 'index.html'))) {
    files.get('*', (c) => c.text(`The neuromask page is not built (no ${join(pageDir, 'index.html')}): run npm run build in the package.\n`, 503));
  } else {
    const root = relative(process.cwd(), pageDir) || '.';
    files.use('*', compress({ contentTypeFilter: COMPRESSIBLE }));
    files.use('*', serveStatic({ root, precompressed: true }));
    files.get('*', (c) => c.text('not found\n', 404));
  }
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    return files.fetch(c.req.raw);
  };
}
