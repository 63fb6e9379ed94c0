import { encodeNpy } from '../../src/io/npy.js';
import type { Curve, Frame, MethodEntry, PauseControl, Result } from './api.js';
import type { Compute } from './compute.js';
import { drawMap, drawMasked, type DisplaySettings } from './draw.js';
import { download, canvasPng } from './export.js';
import { colour, plot } from './plot.js';
import { settingsForm, type SettingsForm } from './settings-form.js';

export interface CardContext {
  model: string;
  image: string;
  imageName: string;
  display: Uint8Array;
  height: number;
  width: number;
  target: number;
  targetLabel: string;
}

export interface CardHost {
  compute(): Compute;
  displaySettings(): DisplaySettings;
  /** Frames between mask redraws (NeuroMask). */
  every(): number;
  onError(message: string): void;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

/** One method: its settings, run/cancel, progress, the map, and for NeuroMask the live mask and its curves. */
export class MethodCard {
  readonly element: HTMLElement;
  readonly form: SettingsForm;
  private readonly canvas: HTMLCanvasElement;
  private readonly masked: HTMLCanvasElement | undefined;
  private readonly progress: HTMLProgressElement;
  private readonly status: HTMLElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly pauseButton: HTMLButtonElement | undefined;
  private pauser: PauseControl | undefined;
  private readonly scrub: HTMLInputElement | undefined;
  private readonly plots: SVGSVGElement[] = [];
  private readonly curvePlot: SVGSVGElement;
  private readonly exports: HTMLElement;
  private readonly range: HTMLElement;
  private ctx: CardContext | undefined;
  private abort: AbortController | undefined;
  private result: Result | undefined;
  private map: Float32Array | undefined;
  private frames: Frame[] = [];
  private masks: { iteration: number; mask: Float32Array }[] = [];
  private curves: { deletion: Curve; insertion: Curve } | undefined;
  /** Mask frames drawn so far in this run (tests count them). */
  framesDrawn = 0;

  constructor(
    readonly method: MethodEntry,
    private readonly host: CardHost,
    prefix: string,
  ) {
    const live = method.name === 'neuromask' || method.name.endsWith('perturbation');
    this.element = el('article', { class: `card${live ? ' live' : ''}`, 'data-method': method.name, 'aria-label': method.name });
    const head = el('header');
    head.append(el('h3', {}, method.name));
    this.runButton = el('button', { type: 'button', class: 'run', 'aria-label': `run ${method.name}` }, method.cheap ? 'Run again' : 'Run');
    this.stopButton = el('button', { type: 'button', class: 'stop', 'aria-label': `stop ${method.name}`, disabled: '' }, live ? 'Stop' : 'Cancel');
    const buttons = el('div', { class: 'buttons' });
    buttons.append(this.runButton);
    if (method.name === 'neuromask') {
      this.pauseButton = el('button', { type: 'button', class: 'pause', 'aria-label': `pause ${method.name}`, 'aria-pressed': 'false', disabled: '' }, 'Pause');
      buttons.append(this.pauseButton);
      this.pauseButton.addEventListener('click', () => this.togglePause());
    }
    buttons.append(this.stopButton);
    head.append(buttons);
    this.element.append(head, el('div', { class: 'muted' }, method.description));
    this.form = settingsForm(`${prefix}${method.name}`, method.options);
    this.range = el('div', { class: 'muted range' });
    this.progress = el('progress', { max: '1', value: '0', 'aria-label': `${method.name} progress` });
    this.status = el('div', { class: 'stats', 'aria-live': 'polite' });
    this.canvas = el('canvas', { class: 'map', 'aria-label': `${method.name} map`, 'data-role': 'map' });
    this.curvePlot = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    this.curvePlot.classList.add('plot');
    this.exports = el('div', { class: 'buttons' });
    if (live) {
      this.masked = el('canvas', { class: 'map', 'aria-label': 'masked image', 'data-role': 'masked' });
      const pics = el('div', { class: 'pics' });
      const f1 = el('figure');
      f1.append(this.canvas, el('figcaption', {}, 'mask'), this.range);
      const f2 = el('figure');
      f2.append(this.masked, el('figcaption', {}, 'masked image'));
      const plots = el('div', { class: 'plots' });
      for (let i = 0; i < 3; i++) {
        const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
        s.classList.add('plot');
        this.plots.push(s);
        plots.append(s);
      }
      plots.append(this.curvePlot);
      pics.append(f1, f2, plots);
      this.scrub = el('input', { type: 'range', min: '0', max: '0', value: '0', 'aria-label': 'scrub the mask history', disabled: '' });
      const scrubLabel = el('label', {}, 'History ');
      scrubLabel.append(this.scrub);
      this.element.append(this.progress, this.status, pics, scrubLabel, this.form.element, this.exports);
      this.scrub.addEventListener('input', () => this.showFrame(Number(this.scrub!.value)));
    } else {
      this.element.append(this.progress, this.status, this.canvas, this.range, this.curvePlot, this.form.element, this.exports);
    }
    this.runButton.addEventListener('click', () => void this.run());
    this.stopButton.addEventListener('click', () => this.abort?.abort());
  }

  private togglePause(): void {
    const b = this.pauseButton;
    if (!b || !this.pauser) return;
    const paused = b.getAttribute('aria-pressed') !== 'true';
    if (paused) this.pauser.pause();
    else this.pauser.resume();
    b.setAttribute('aria-pressed', String(paused));
    b.textContent = paused ? 'Resume' : 'Pause';
    this.element.dataset['paused'] = String(paused);
  }

  get targetText(): string {
    return this.result ? `${this.result.target.label ?? this.result.target.index}` : '';
  }

  /** A new image or target: forget the old result; cheap methods run at once. */
  setContext(ctx: CardContext): void {
    this.abort?.abort();
    this.ctx = ctx;
    this.result = undefined;
    this.map = undefined;
    this.curves = undefined;
    this.frames = [];
    this.masks = [];
    this.exports.replaceChildren();
    this.curvePlot.replaceChildren();
    this.plots.forEach((p) => p.replaceChildren());
    this.progress.value = 0;
    this.status.textContent = this.method.cheap ? '' : `Run to explain ${ctx.targetLabel}`;
    this.redraw();
    if (this.method.cheap) void this.run();
  }

  cancel(): void {
    this.abort?.abort();
  }

  /** A map computed elsewhere (the results browser): shown as this card's result. */
  showMap(map: Float32Array, note: string): void {
    this.abort?.abort();
    this.map = map;
    this.status.textContent = note;
    this.redraw();
  }

  redraw(): void {
    const c = this.ctx;
    if (!c) return;
    const range = drawMap(this.canvas, c.display, this.map, c.height, c.width, this.host.displaySettings());
    this.range.textContent = range ? `colours span ${range.lo.toPrecision(3)} … ${range.hi.toPrecision(3)}` : '';
  }

  async run(): Promise<void> {
    const c = this.ctx;
    if (!c) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.frames = [];
    this.masks = [];
    this.framesDrawn = 0;
    this.result = undefined;
    this.curves = undefined;
    this.exports.replaceChildren();
    this.stopButton.disabled = false;
    this.runButton.disabled = true;
    this.element.dataset['state'] = 'running';
    this.status.textContent = `explaining ${c.targetLabel}…`;
    const t0 = performance.now();
    try {
      const outcome = await this.host.compute().explain(
        { model: c.model, image: c.image, method: this.method.name, target: c.target, seed: 0, options: this.form.values(), every: this.host.every(), metrics: true },
        {
          onProgress: (done, total) => ((this.progress.max = total), (this.progress.value = done)),
          onFrame: (f) => this.onFrame(f),
          onResult: (r) => this.onResult(r, performance.now() - t0),
          onMetrics: (m) => this.onMetrics(m),
          onPausable: (p) => {
            this.pauser = p;
            if (this.pauseButton) this.pauseButton.disabled = false;
          },
        },
        abort.signal,
      );
      if (outcome === 'cancelled' && this.abort === abort) this.status.textContent += ' (stopped)';
    } catch (e) {
      this.status.textContent = 'failed';
      this.host.onError(`${this.method.name}: ${(e as Error).message}`);
    } finally {
      if (this.abort === abort) {
        this.pauser = undefined;
        if (this.pauseButton) {
          this.pauseButton.disabled = true;
          this.pauseButton.setAttribute('aria-pressed', 'false');
          this.pauseButton.textContent = 'Pause';
          this.element.dataset['paused'] = 'false';
        }
        this.stopButton.disabled = true;
        this.runButton.disabled = false;
        this.element.dataset['state'] = this.result ? 'done' : 'idle';
        if (this.scrub && this.masks.length) {
          this.scrub.disabled = false;
          this.scrub.max = String(this.masks.length - 1);
          this.scrub.value = this.scrub.max;
        }
      }
    }
  }

  private onFrame(f: Frame): void {
    const c = this.ctx!;
    this.frames.push(f);
    this.progress.max = f.iterations;
    this.progress.value = f.iteration + 1;
    if (f.mask) {
      const mask = f.mask;
      this.masks.push({ iteration: f.iteration, mask });
      this.map = mask;
      this.redraw();
      if (this.masked) drawMasked(this.masked, c.display, mask, c.height, c.width);
      this.framesDrawn++;
      this.element.dataset['frames'] = String(this.framesDrawn);
    }
    const area = f.area !== undefined ? `, area ${(100 * f.area).toFixed(1)}%` : '';
    const p = f.targetProbability !== undefined ? `, p(${c.targetLabel}) on ${this.method.name === 'neuromask' ? 'masked' : 'perturbed'} ${f.targetProbability.toFixed(3)}` : '';
    this.status.textContent = `iteration ${f.iteration + 1}/${f.iterations}: loss ${f.total.toFixed(3)}${area}${p}`;
    if (f.iteration % Math.max(1, this.host.every()) === 0) this.plotFrames();
  }

  private plotFrames(marker?: number): void {
    if (this.plots.length < 3) return;
    const terms = Object.keys(this.frames[0]?.terms ?? {});
    const xs = this.frames.map((f) => f.iteration);
    const m = marker === undefined ? {} : { marker };
    plot(this.plots[0]!, 'loss terms', [{ name: 'total', ys: this.frames.map((f) => f.total), xs, colour: colour(5) }, ...terms.map((t, i) => ({ name: t, ys: this.frames.map((f) => f.terms[t] ?? 0), xs, colour: colour(i) }))], m);
    // Area comes with the frames that carry a mask; extremal perturbation reports no probability.
    const series = (pick: (f: Frame) => number | undefined) => {
      const kept = this.frames.filter((f) => pick(f) !== undefined);
      return { xs: kept.map((f) => f.iteration), ys: kept.map((f) => pick(f)!) };
    };
    plot(this.plots[1]!, 'mask area', [{ name: 'area', ...series((f) => f.area), colour: colour(2) }], { ...m, yRange: [0, 1] });
    plot(this.plots[2]!, 'target probability (masked)', [{ name: 'p', ...series((f) => f.targetProbability), colour: colour(1) }], { ...m, yRange: [0, 1] });
  }

  private showFrame(k: number): void {
    const c = this.ctx;
    const f = this.masks[k];
    if (!c || !f) return;
    this.map = f.mask;
    this.redraw();
    if (this.masked) drawMasked(this.masked, c.display, f.mask, c.height, c.width);
    this.plotFrames(f.iteration);
    this.status.textContent = `history: iteration ${f.iteration}`;
  }

  private onResult(r: Result, ms: number): void {
    const c = this.ctx!;
    if (this.pauseButton) this.pauseButton.disabled = true;
    this.result = r;
    this.map = r.map;
    this.element.dataset['target'] = String(r.target.index);
    this.element.dataset['ms'] = String(Math.round(ms));
    if (this.masked) this.masks.push({ iteration: r.iterations ?? this.frames.length, mask: this.map });
    this.redraw();
    if (this.masked) drawMasked(this.masked, c.display, this.map, c.height, c.width);
    this.plotFrames();
    this.progress.max = 1;
    this.progress.value = 1;
    const extra = r.probabilities ? `; p ${r.probabilities.original.toFixed(3)} → masked ${r.probabilities.masked.toFixed(3)}, area ${(100 * (r.maskArea ?? 0)).toFixed(1)}%` : '';
    this.status.textContent = `${r.target.label ?? r.target.index}: ${r.forwardPasses} forward / ${r.backwardPasses} backward passes, ${r.seconds.toFixed(2)} s${extra}`;
    this.addExports();
  }

  private onMetrics(m: { deletion: Curve; insertion: Curve }): void {
    this.curves = m;
    plot(this.curvePlot, `deletion AUC ${m.deletion.auc.toFixed(3)} · insertion AUC ${m.insertion.auc.toFixed(3)}`, [
      { name: 'deletion', xs: m.deletion.fractions, ys: m.deletion.scores, colour: colour(1) },
      { name: 'insertion', xs: m.insertion.fractions, ys: m.insertion.scores, colour: colour(0) },
    ], { yRange: [0, 1] });
    this.element.dataset['deletionAuc'] = m.deletion.auc.toFixed(4);
  }

  private addExports(): void {
    const c = this.ctx!;
    const r = this.result!;
    const stem = `${c.imageName.replace(/\.[^.]*$/, '').replace(/[^\w-]+/g, '_')}-${r.method}`;
    const npyName = r.method === 'neuromask' ? 'mask.npy' : 'map.npy';
    const b = (label: string, f: () => void | Promise<void>): HTMLButtonElement => {
      const btn = el('button', { type: 'button', 'aria-label': `${label} (${r.method})` }, label);
      btn.addEventListener('click', () => void f());
      return btn;
    };
    this.exports.replaceChildren(
      b('Overlay PNG', async () => download(`${stem}-overlay.png`, await canvasPng(this.canvas))),
      b(npyName, () => download(`${stem}-${npyName}`, new Blob([encodeNpy(this.map!, [r.height, r.width]) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }))),
      b('result.json', () => {
        const { map: _map, ...rest } = r;
        const json = { ...rest, image: c.imageName, computedOn: this.host.compute().where, metrics: this.curves ?? null };
        download(`${stem}-result.json`, new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' }));
      }),
    );
  }
}
