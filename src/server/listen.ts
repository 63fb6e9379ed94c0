import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { UsageError } from '../errors/usage-error.js';

export interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Loopback: 127.0.0.0/8, ::1 and localhost. Anything else is reachable from other machines. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Bind `app` on host:port (0: any free port); a port in use or a host that is not ours is a UsageError. */
export function listen(app: Hono, host: string, port: number): Promise<Listening> {
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolvePromise({
        url: `http://${shown}:${info.port}/`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Open event streams and keep-alive sockets would hold close() forever.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`port ${port} on ${host} is already in use; pick another with --port (or --port 0 for any free one)`, { cause: e }));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') reject(new UsageError(`cannot listen on ${host}: no such address on this machine`, { cause: e }));
      else if (e.code === 'EACCES') reject(new UsageError(`not allowed to listen on port ${port} (ports below 1024 need privileges)`, { cause: e }));
      else reject(e);
    });
  });
}
