/** Pause/resume for a live run: `gate()` is pending while paused (NeuroMask awaits it before each step). */
export class PauseGate {
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  get paused(): boolean {
    return this.waiting !== undefined;
  }

  pause(): void {
    this.waiting ??= new Promise<void>((r) => (this.release = r));
  }

  resume(): void {
    this.release?.();
    this.waiting = this.release = undefined;
  }

  gate = (): Promise<void> => this.waiting ?? Promise.resolve();
}
