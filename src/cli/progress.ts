import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields: Record<string, string>): void;
  stop(): void;
}

/** A bar with ETA on a terminal; plain lines (about every 10%) when stderr is a pipe or file. */
export function progress(total: number, label: string): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} {bar} {percentage}% | {status} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return { update: (done, f) => bar.update(done, { status: Object.entries(f).map(([k, v]) => `${k} ${v}`).join(' ') }), stop: () => bar.stop() };
  }
  let nextReport = 0;
  const start = Date.now();
  return {
    update(done, f) {
      if (done < nextReport && done < total) return;
      nextReport = done + Math.max(1, Math.ceil(total / 10));
      const eta = done > 0 ? ((Date.now() - start) / done) * (total - done) / 1000 : 0;
      const fields = Object.entries(f).map(([k, v]) => `${k} ${v}`).join(' ');
      process.stderr.write(`${label} ${done}/${total} ${fields} eta ${eta.toFixed(0)}s\n`);
    },
    stop() {},
  };
}
