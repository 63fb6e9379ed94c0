import type { ConnectionOptions } from 'bullmq';
import { QueueError } from '../errors/queue-error.js';
import { UsageError } from '../errors/usage-error.js';

/** Child jobs (one per image × method × target) and the run parents that group them. */
export const PAIRS_QUEUE = 'neuromask-pairs';
export const RUNS_QUEUE = 'neuromask-runs';

/**
 * `redis://[user:pass@]host:port[/db]` → ioredis options. `maxRetriesPerRequest: null` makes
 * commands wait for a reconnect instead of failing, so a Redis restart only pauses a run.
 */
export function connectionFromUrl(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new UsageError(`--queue: not a URL: '${url}' (expected redis://host:port[/db])`, { cause });
  }
  if (u.protocol !== 'redis:') throw new UsageError(`--queue: expected redis://host:port[/db], got '${url}'`);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new UsageError(`--queue: the database after the port is a number, got '${db}'`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port === '' ? 6379 : Number(u.port),
    ...(db !== '' ? { db: Number(db) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    maxRetriesPerRequest: null,
    // Reconnect quickly (Redis restarts take a second or two), at most every 2 s.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** One PING without retries: an unreachable Redis is a one-line error, not a silent wait. */
export async function checkReachable(c: ConnectionOptions): Promise<void> {
  const { Redis } = await import('ioredis');
  const o = c as { host?: string; port?: number };
  const r = new Redis({ ...(c as object), lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  // The socket's own error (ECONNREFUSED, ENOTFOUND) says more than ioredis' "Connection is closed".
  let first: Error | undefined;
  r.on('error', (e: Error) => (first ??= e));
  try {
    await r.connect();
    await r.ping();
  } catch (cause) {
    throw new QueueError(`cannot reach Redis at ${o.host}:${o.port}: ${(first ?? (cause as Error)).message}`, { cause });
  } finally {
    r.disconnect();
  }
}
