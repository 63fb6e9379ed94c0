const NS = 'http://www.w3.org/2000/svg';

export interface Series { name: string; ys: number[]; xs?: number[]; colour: string }

const COLOURS = ['#1769d1', '#d1541b', '#2a9d3a', '#8a3ac2', '#c2a13a', '#444'];
export const colour = (i: number): string => COLOURS[i % COLOURS.length]!;

/** A small line plot in an <svg>: every series on shared axes, a legend, an optional marker at x. */
export function plot(svg: SVGSVGElement, title: string, series: readonly Series[], opts: { marker?: number; yRange?: [number, number] } = {}): void {
  const W = 300;
  const H = 110;
  const pad = { l: 30, r: 6, t: 16, b: 16 };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', title);
  svg.replaceChildren();
  const all = series.flatMap((s) => s.ys).filter(Number.isFinite);
  const xsAll = series.flatMap((s) => s.xs ?? s.ys.map((_, i) => i));
  const [y0, y1] = opts.yRange ?? [Math.min(0, ...all), Math.max(1e-9, ...all)];
  const x1 = Math.max(1e-9, ...xsAll);
  const X = (x: number): number => pad.l + ((W - pad.l - pad.r) * x) / x1;
  const Y = (y: number): number => H - pad.b - ((H - pad.t - pad.b) * (y - y0)) / (y1 - y0 || 1);
  const el = (name: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  el('text', { x: pad.l, y: 11 }, title);
  el('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, stroke: '#999' });
  el('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: H - pad.b, stroke: '#999' });
  el('text', { x: 2, y: pad.t + 6 }, y1.toPrecision(2));
  el('text', { x: 2, y: H - pad.b }, y0.toPrecision(2));
  let legendX = pad.l;
  series.forEach((s) => {
    const xs = s.xs ?? s.ys.map((_, i) => i);
    const d = s.ys.map((y, i) => `${i ? 'L' : 'M'}${X(xs[i]!).toFixed(1)},${Y(y).toFixed(1)}`).join('');
    if (d) el('path', { d, fill: 'none', stroke: s.colour, 'stroke-width': 1.5 });
    if (series.length > 1) {
      el('text', { x: legendX, y: H - 3, fill: s.colour }, `— ${s.name}`);
      legendX += 14 + 6 * s.name.length;
    }
  });
  if (opts.marker !== undefined) el('line', { x1: X(opts.marker), y1: pad.t, x2: X(opts.marker), y2: H - pad.b, stroke: '#d11', 'stroke-dasharray': '2,2' });
}
