import type { Box } from '../eval/manifest.js';
import type { EvalResults, PairResult } from '../eval/runner.js';
import { REPORT_CSS } from './style.js';
import { formatMetric, METRIC_TITLES, metricKeysShown, type MetricKey, type MethodSummary } from './summary.js';

/** One image's row: its picture and one overlay per method, already encoded as PNG. */
export interface ReportRow {
  id: string;
  /** Model-input size, for placing the boxes. */
  height: number;
  width: number;
  original: Uint8Array;
  /** method → overlay PNG. */
  overlays: ReadonlyMap<string, Uint8Array>;
}

export interface ReportData {
  title: string;
  results: EvalResults;
  rows: readonly ReportRow[];
  /** Pointing-game tolerance in pixels, shown with the pointing table. */
  tolerance?: number;
  /** Images left out of the picture rows (their numbers still count in every table). */
  omittedRows?: number;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const dataUri = (png: Uint8Array): string => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

function boxesHtml(boxes: readonly Box[] | undefined, h: number, w: number): string {
  return (boxes ?? [])
    .map(([x0, y0, x1, y1]) => {
      const pct = (v: number, of: number) => `${((100 * v) / of).toFixed(3)}%`;
      return `<div class="box" style="left:${pct(x0, w)};top:${pct(y0, h)};width:${pct(x1 - x0 + 1, w)};height:${pct(y1 - y0 + 1, h)}"></div>`;
    })
    .join('');
}

function picture(png: Uint8Array, alt: string, row: ReportRow, boxes: readonly Box[] | undefined): string {
  // Small inputs (28 px Fashion-MNIST) are enlarged by CSS: keep their pixels crisp.
  const pixelated = Math.max(row.height, row.width) < 160 ? ' pixelated' : '';
  return `<div class="pic${pixelated}"><img src="${dataUri(png)}" alt="${esc(alt)}">${boxesHtml(boxes, row.height, row.width)}</div>`;
}

/** The numbers under an overlay: the metrics that pair has, most telling first. */
function headline(p: PairResult): string {
  const lines = [[`del ${p.deletionAuc.toFixed(3)}`, `ins ${p.insertionAuc.toFixed(3)}`]];
  if (p.maskArea !== null && p.maskedProbability !== null) lines.push([`area ${(100 * p.maskArea).toFixed(1)}%`, `p ${p.maskedProbability.toFixed(3)}`]);
  const robust = [
    ...(p.stability !== null ? [`stab ${formatMetric('stability', p.stability)}`] : []),
    ...(p.sanityTop !== null && p.sanityAll !== null ? [`sanity ${formatMetric('sanityTop', p.sanityTop)} / ${formatMetric('sanityAll', p.sanityAll)}`] : []),
  ];
  if (robust.length > 0) lines.push(robust);
  if (p.pointingHit !== null) lines.push([p.pointingHit ? '<b class="hit">hit</b>' : '<b class="miss">miss</b>', `energy ${formatMetric('energyInBox', p.energyInBox)}`]);
  lines.push([`${formatMetric('seconds', p.seconds)} s`, `${p.forwardPasses} fwd`, `${p.backwardPasses} bwd`]);
  // Each number stays whole on narrow tiles: lines break between items, never inside one.
  return lines.map((l) => `<div>${l.map((x) => `<span>${x}</span>`).join(' ')}</div>`).join('');
}

function imageRow(row: ReportRow, r: EvalResults): string {
  const info = r.images.find((i) => i.id === row.id);
  const pairs = r.pairs.filter((p) => p.image === row.id);
  const target = pairs[0]?.target;
  const targetText = target ? `${target.label ?? 'class'} (${target.index})` : '';
  const tiles = [
    `<figure class="tile original">${picture(row.original, row.id, row, info?.boxes)}<figcaption><div class="name">${esc(row.id)}</div><div>${esc(targetText)}</div></figcaption></figure>`,
    ...r.methods.map((m) => {
      const png = row.overlays.get(m);
      const p = pairs.find((q) => q.method === m);
      if (!png || !p) return `<figure class="tile missing"><figcaption><div class="name">${esc(m)}</div><div>not run</div></figcaption></figure>`;
      return `<figure class="tile">${picture(png, `${row.id}: ${m}`, row, info?.boxes)}<figcaption><div class="name">${esc(m)}</div>${headline(p)}</figcaption></figure>`;
    }),
  ];
  return `<div class="row" style="--cols:${r.methods.length + 1}">${tiles.join('')}</div>`;
}

function pointingTable(summary: readonly MethodSummary[], tolerance: number | undefined): string {
  const scored = summary.filter((s) => s.pointing);
  const best = scored.length > 1 ? Math.max(...scored.map((s) => s.pointing!.accuracy)) : NaN;
  const rows = scored.map(
    (s) => `<tr><th>${esc(s.method)}</th><td>${s.pointing!.hits}</td><td>${s.pointing!.misses}</td><td${s.pointing!.accuracy === best ? ' class="strong"' : ''}>${s.pointing!.accuracy.toFixed(3)}</td></tr>`,
  );
  if (rows.length === 0) return '';
  const tol = tolerance === undefined ? 'the default tolerance (15 px)' : `a tolerance of ${tolerance} px`;
  return `<section><h2>Pointing game</h2><p class="note">A hit when the map's maximum lies inside a ground-truth box or within ${tol} of it.</p>` +
    `<table><thead><tr><th>method</th><th>hits</th><th>misses</th><th>accuracy</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function keysShown(r: EvalResults): MetricKey[] {
  return metricKeysShown(r.summary, r);
}

/** Which way is better for the quality metrics; cost columns are not ranked. */
const BETTER: Partial<Record<MetricKey, 1 | -1>> = { deletionAuc: -1, insertionAuc: 1, energyInBox: 1, stability: 1, sanityTop: -1, sanityAll: -1 };

/** The best mean of a column, to set in bold when there is more than one method to compare. */
function bestOf(summary: readonly MethodSummary[], k: MetricKey): number | null {
  const dir = BETTER[k];
  const vs = summary.map((s) => s.means[k]).filter((v): v is number => v !== null);
  if (!dir || vs.length < 2) return null;
  return dir > 0 ? Math.max(...vs) : Math.min(...vs);
}

function summaryTable(r: EvalResults): string {
  const keys = keysShown(r);
  const best = new Map(keys.map((k) => [k, bestOf(r.summary, k)]));
  const cell = (k: MetricKey, v: number | null) => `<td${v !== null && v === best.get(k) ? ' class="strong"' : ''}>${formatMetric(k, v)}</td>`;
  const head = `<tr><th>method</th><th>pairs</th>${keys.map((k) => `<th>${METRIC_TITLES[k]}</th>`).join('')}</tr>`;
  const rows = r.summary.map((s) => `<tr><th>${esc(s.method)}</th><td>${s.pairs}</td>${keys.map((k) => cell(k, s.means[k])).join('')}</tr>`);
  return `<section><h2>Means per method</h2><table class="summary"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></section>`;
}

/** Per method, every image's numbers with the mean in the footer (folded away: it can be long). */
function methodTables(r: EvalResults): string {
  const keys = keysShown(r);
  const withHit = r.pairs.some((p) => p.pointingHit !== null);
  const head = `<tr><th>image</th><th>target</th>${withHit ? '<th>pointing</th>' : ''}${keys.map((k) => `<th>${METRIC_TITLES[k]}</th>`).join('')}</tr>`;
  return r.summary
    .map((s) => {
      const rows = r.pairs
        .filter((p) => p.method === s.method)
        .map((p) => `<tr><th>${esc(p.image)}</th><td>${esc(p.target.label ?? String(p.target.index))}</td>${withHit ? `<td>${p.pointingHit === null ? '–' : p.pointingHit ? 'hit' : 'miss'}</td>` : ''}${keys.map((k) => `<td>${formatMetric(k, p[k])}</td>`).join('')}</tr>`);
      const foot = `<tr><th>mean</th><td></td>${withHit ? `<td>${s.pointing ? s.pointing.accuracy.toFixed(3) : '–'}</td>` : ''}${keys.map((k) => `<td>${formatMetric(k, s.means[k])}</td>`).join('')}</tr>`;
      return `<details><summary>${esc(s.method)}: every image</summary><table data-method="${esc(s.method)}"><thead>${head}</thead><tbody>${rows.join('')}</tbody><tfoot>${foot}</tfoot></table></details>`;
    })
    .join('');
}

/** What the opt-in columns mean, when the run has them. */
function robustnessNote(r: EvalResults): string {
  const parts: string[] = [];
  if (r.stability >= 2) parts.push(`Stability: the mean pairwise Spearman ρ of each method's maps for seeds ${r.seed}…${r.seed + r.stability - 1} (higher is better; a deterministic method scores 1).`);
  if (r.sanity) parts.push('Sanity (Adebayo et al. 2018): Spearman ρ between the map on the model and on the model with its top layer randomised (top) and with all its layers randomised (all); of |map| for gradient, smoothgrad and integrated-gradients. Lower is better: the map depends on what the model learnt.');
  if (parts.length === 0) return '';
  return `<p class="note">${parts.join(' ')} n/a: a map was constant, so ρ is undefined (left out of the means).</p>`;
}

/** One self-contained page: inline CSS, images as data URIs, no external URLs. */
export function reportHtml(d: ReportData): string {
  const r = d.results;
  const omitted = d.omittedRows ? `<p class="note">Showing ${d.rows.length} of ${d.rows.length + d.omittedRows} images; the tables count all of them.</p>` : '';
  const meta = `model <b>${esc(r.model)}</b> · ${r.images.length} image${r.images.length === 1 ? '' : 's'} × ${r.methods.length} method${r.methods.length === 1 ? '' : 's'} · seed ${r.seed}${r.stability >= 2 ? ` (stability: ${r.stability} seeds)` : ''}${r.sanity ? ' · sanity check' : ''} · ${r.seconds.toFixed(1)} s${r.restored > 0 ? ` (${r.restored} pairs restored from an earlier run)` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title><style>${REPORT_CSS}</style></head>
<body><header><h1>${esc(d.title)}</h1><p class="meta">${meta}</p>
<p class="note">Overlays: each map min-max normalised, jet at alpha 0.5 (red = most important). Deletion AUC: the target's probability as the most important pixels are turned black first (lower is better); insertion AUC: as they are put back first into a blurred copy (higher is better).</p>${robustnessNote(r)}</header>
${pointingTable(r.summary, d.tolerance)}${summaryTable(r)}
<section><h2>Images</h2>${omitted}<div class="rows">${d.rows.map((row) => imageRow(row, r)).join('\n')}</div></section>
<section><h2>Per image</h2>${methodTables(r)}</section>
</body></html>
`;
}
