import { get, post } from './api.js';

interface Row { image: string; method: string; target: { index: number; label?: string }; predicted: number | null; misclassified: boolean | null; deletionAuc: number; insertionAuc: number; maskArea: number | null; seconds: number }
interface View { model: string; methods: string[]; rows: Row[] }
export interface OpenedPair { image: string; model: string; method: string; height: number; width: number; map: string; signed: boolean }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** `--results DIR`: the offline compare/evaluate rows, filtered and sorted on the page; "open" shows one pair. */
export async function setupResults(onOpen: (p: OpenedPair, label: string) => void, onError: (m: string) => void): Promise<void> {
  const { results } = await get<{ results: View | null }>('/api/results');
  if (!results) return;
  $('results').hidden = false;
  const cls = $<HTMLSelectElement>('f-class');
  const method = $<HTMLSelectElement>('f-method');
  const mis = $<HTMLInputElement>('f-mis');
  const sort = $<HTMLSelectElement>('f-sort');
  const classes = [...new Map(results.rows.map((r) => [r.target.index, r.target.label ?? String(r.target.index)])).entries()].sort((a, b) => a[0] - b[0]);
  cls.append(...classes.map(([i, l]) => new Option(l, String(i))));
  method.append(...results.methods.map((m) => new Option(m, m)));
  const render = (): void => {
    const key = sort.value as 'deletionAuc' | 'insertionAuc' | 'maskArea' | 'seconds';
    const dir = key === 'insertionAuc' ? -1 : 1;
    const rows = results.rows
      .filter((r) => (cls.value === '' || String(r.target.index) === cls.value) && (method.value === '' || r.method === method.value) && (!mis.checked || r.misclassified === true))
      .sort((a, b) => dir * ((a[key] ?? Infinity) - (b[key] ?? Infinity)));
    $('results-rows').replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        const cells = [r.image, r.method, r.target.label ?? String(r.target.index), r.predicted === null ? '?' : `${r.predicted}${r.misclassified ? ' ✗' : ''}`, r.deletionAuc.toFixed(3), r.insertionAuc.toFixed(3), r.maskArea === null ? '–' : `${(100 * r.maskArea).toFixed(1)}%`];
        tr.append(...cells.map((t) => Object.assign(document.createElement('td'), { textContent: t })));
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = 'open';
        b.setAttribute('aria-label', `open ${r.image} ${r.method}`);
        b.addEventListener('click', () => void post<Omit<OpenedPair, 'method'>>('/api/results/open', { image: r.image, method: r.method }).then((p) => onOpen({ ...p, method: r.method }, `${r.image} · ${r.method}`), (e: Error) => onError(e.message)));
        const td = document.createElement('td');
        td.append(b);
        tr.append(td);
        return tr;
      }),
    );
  };
  for (const e of [cls, method, mis, sort]) e.addEventListener('change', render);
  render();
}
