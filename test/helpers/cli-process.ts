import { spawn, type ChildProcess } from 'node:child_process';
import { SHARED_MODELS } from './shared.js';

const ENTRY = new URL('./cli-entry.ts', import.meta.url).pathname;

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A CLI process running from source in the background (named models from ../shared/models), its
 * output collected as it comes, so a test can wait for a line, signal it, and read its exit.
 * With `limitMs`, a run still alive then is SIGKILLed (a hang fails its test, not the suite).
 */
export class CliProcess {
  readonly proc: ChildProcess;
  stdout = '';
  stderr = '';
  /** The exit code (null when ended by a signal). */
  readonly exited: Promise<number | null>;
  /** The whole exit: code, signal and both outputs. */
  readonly done: Promise<CliExit>;
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  private readonly limitMs: number | undefined;
  private closed = false;

  constructor(args: string[], cwd: string, o: { limitMs?: number } = {}) {
    this.limitMs = o.limitMs;
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
    const timer = o.limitMs !== undefined ? setTimeout(() => this.proc.kill('SIGKILL'), o.limitMs) : undefined;
    this.done = new Promise((resolve) =>
      this.proc.once('close', (code, signal) => {
        clearTimeout(timer);
        this.closed = true;
        this.check();
        this.rejectWaiters();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
    this.exited = this.done.then((r) => r.code);
  }

  /** A line that never came: the exit (and its stderr) says why. */
  private rejectWaiters(): void {
    const how = this.proc.exitCode ?? this.proc.signalCode;
    for (const w of this.waiters.splice(0)) w.reject(new Error(`the CLI exited (${how}) before printing ${w.re}; stderr:\n${this.stderr}`));
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const m = this.stderr.slice(w.from).match(w.re);
      if (m) w.resolve(m);
      return !m;
    });
  }

  /**
   * Resolves with the first match of `re` in stderr written after offset `from` (default: all of
   * it); rejects when the process exits first, or after `timeoutMs` (default: the run's limit, else 60 s).
   */
  waitFor(re: RegExp, timeoutMs = this.limitMs ?? 60_000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${this.stderr}`)), timeoutMs);
      const done = <T>(f: (v: T) => void) => (v: T) => (clearTimeout(t), f(v));
      this.waiters.push({ re, from, resolve: done(resolve), reject: done(reject) });
      this.check();
      if (this.closed) this.rejectWaiters();
    });
  }

  /** Sends `signal` (unless it already exited) and resolves with the exit code. */
  async kill(signal: NodeJS.Signals): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}
