import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Files for browser tests on a free loopback port: `routes` maps a URL prefix to a folder (or,
 * for an exact path, a file), `pages` maps a path to inline HTML. `isolated` sends the headers
 * that make a page cross-origin isolated (COOP same-origin, COEP require-corp).
 */
export async function serveStatic(routes: Record<string, string>, pages: Record<string, string> = {}, isolated = true): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (isolated) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    const page = pages[path];
    if (page !== undefined) {
      res.writeHead(200, { 'Content-Type': TYPES['.html']! }).end(page);
      return;
    }
    const prefix = Object.keys(routes).filter((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`)).sort((a, b) => b.length - a.length)[0];
    const rest = prefix === undefined ? '' : normalize(path.slice(prefix.length));
    if (prefix === undefined || rest.startsWith('..')) {
      res.writeHead(404).end();
      return;
    }
    const file = rest === '' || rest === '.' ? routes[prefix]! : join(routes[prefix]!, rest);
    stat(file).then(
      (s) => {
        if (!s.isFile()) return void res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': s.size });
        createReadStream(file).pipe(res);
      },
      () => void res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
