import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';

export const REDIS_SERVER = '/usr/bin/redis-server';
/** Why the queue tests are skipped, or false when Redis is installed (CI installs it). */
export const NO_REDIS = existsSync(REDIS_SERVER) ? false : `${REDIS_SERVER} is absent (apt-get install redis-server): queue tests skipped`;

export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A private redis-server on 127.0.0.1 with its append-only file in `dir`; `restart()` keeps the port and the data. */
export class TestRedis {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), dir);
    await r.launch();
    return r;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'];
    const p = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (b: Buffer) => {
        log += b.toString();
        if (/Ready to accept connections/.test(log)) resolve();
      };
      p.stdout!.on('data', onData);
      p.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${log}`)));
    });
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await once(p, 'exit');
    this.proc = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}
