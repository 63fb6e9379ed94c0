import { spawn, type ChildProcess } from 'node:child_process';
import { SHARED_MODELS } from './shared.js';

const ENTRY = new URL('./cli-entry.ts', import.meta.url).pathname;

/** A CLI process running from source in the background, its output collected as it comes. */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(args: string[], cwd: string) {
    this.proc = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY, ...args], {
      cwd,
      env: { ...process.env, NEUROMASK_HOME: SHARED_MODELS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (b: Buffer) => (this.stdout += b.toString()));
    this.proc.stderr!.on('data', (b: Buffer) => {
      this.stderr += b.toString();
      this.check();
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const m = this.stderr.slice(w.from).match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** Resolves with the first match of `re` in stderr written after offset `from` (default: all of it). */
  waitFor(re: RegExp, timeoutMs = 60_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${this.stderr}`)), timeoutMs);
      this.waiters.push({ re, from, resolve: (m) => (clearTimeout(t), resolve(m)) });
      this.check();
    });
  }

  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}
