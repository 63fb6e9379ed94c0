import './styles.css';
import { b64ToF32, get, upload, type MethodEntry, type ModelEntry, type StoredImage } from './api.js';
import { serverCompute, type Compute } from './compute.js';
import { browserCompute } from './browser-compute.js';
import { drawLegend, drawMap, type DisplaySettings, type View } from './draw.js';
import { download } from './export.js';
import { ModelPanel } from './panel.js';
import { setupResults } from './results.js';
import type { ColormapName } from '../../src/viz/colormap.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const modelSel = $<HTMLSelectElement>('model');
const compareSel = $<HTMLSelectElement>('compare');
const errorBox = $<HTMLParagraphElement>('error');
const preview = $<HTMLCanvasElement>('preview');

let methods: MethodEntry[] = [];
let models: ModelEntry[] = [];
let panels: ModelPanel[] = [];
let current: StoredImage | undefined;
let compute: Compute = serverCompute;

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
}
const clearError = (): void => void (errorBox.hidden = true);

function displaySettings(): DisplaySettings {
  return {
    view: $<HTMLSelectElement>('view').value as View,
    colormap: $<HTMLSelectElement>('colormap').value as ColormapName,
    opacity: Number($<HTMLInputElement>('opacity').value),
    signed: $<HTMLInputElement>('signed').checked,
  };
}

const host = {
  compute: () => compute,
  displaySettings,
  every: () => 2,
  onError: showError,
};

function buildPanels(): void {
  const names = [modelSel.value, compareSel.value].filter((n) => n !== '');
  // The methods' settings outlive the panels: a new model or comparison keeps them.
  const kept = new Map(panels[0]?.cards.map((c) => [c.method.name, c.form.values()]) ?? []);
  for (const p of panels) for (const c of p.cards) c.cancel();
  panels = names.map((n, i) => new ModelPanel(n, methods, host, i === 0 ? 'a' : 'b'));
  for (const p of panels) for (const c of p.cards) c.form.restore(kept.get(c.method.name) ?? {});
  const box = $('panels');
  box.className = `panels${panels.length > 1 ? ' two' : ''}`;
  box.replaceChildren(...panels.map((p) => p.element));
  const info = models.find((m) => m.name === modelSel.value);
  $('model-info').textContent = info ? `${info.input}, ${info.classes} classes` : '';
  if (current) void openImage(current);
  else for (const n of names) compute.warm?.(n);
}

async function openImage(img: StoredImage): Promise<void> {
  current = img;
  clearError();
  document.body.dataset['image'] = img.id;
  await Promise.all(
    panels.map((p) =>
      p.open(img).then(() => {
        if (p !== panels[0]) return;
        const d = p.display;
        if (d) drawMap(preview, d.display, undefined, d.height, d.width, displaySettings());
      }),
    ),
  ).catch((e: Error) => showError(e.message));
}

async function uploadFile(file: Blob, name: string): Promise<void> {
  clearError();
  $<HTMLSelectElement>('examples').value = '';
  try {
    await openImage(await upload(file, name));
  } catch (e) {
    showError(`${name}: ${(e as Error).message}`);
  }
}

function wireInput(): void {
  const drop = $('drop');
  const file = $<HTMLInputElement>('file');
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void uploadFile(f, f.name);
    file.value = '';
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') (e.preventDefault(), file.click());
  });
  drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void uploadFile(f, f.name);
  });
  document.addEventListener('paste', (e) => {
    const f = e.clipboardData?.files.item(0);
    if (f) void uploadFile(f, f.name || 'pasted.png');
  });
  $<HTMLSelectElement>('examples').addEventListener('change', (e) => {
    const name = (e.target as HTMLSelectElement).value;
    if (!name) return;
    void fetch('/api/examples/open', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })
      .then(async (r) => (r.ok ? openImage((await r.json()) as StoredImage) : showError(((await r.json()) as { error: string }).error)));
  });
}

/** The preprocessing form as a card, when its size is filled in (otherwise the files' neuromask.json, or what the graph says). */
function formCard(): { card?: Record<string, unknown>; labels?: string[] } {
  const v = (id: string): string => $<HTMLInputElement>(id).value.trim();
  const nums = (t: string): number[] | undefined => (t === '' ? undefined : t.split(/[\s,]+/).map(Number));
  const labels = v('pre-labels') === '' ? undefined : v('pre-labels').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (v('pre-h') === '' || v('pre-w') === '') return labels ? { labels } : {};
  const mean = nums(v('pre-mean'));
  const std = nums(v('pre-std'));
  const preprocess = { inputSize: [Number(v('pre-h')), Number(v('pre-w'))], channels: v('pre-ch'), resize: v('pre-resize'), layout: v('pre-layout'), ...(mean ? { mean } : {}), ...(std ? { std } : {}) };
  return { card: { preprocess }, ...(labels ? { labels } : {}) };
}

function wireOwnModel(): void {
  const input = $<HTMLInputElement>('own-model');
  input.addEventListener('change', async () => {
    const files = Array.from(input.files ?? []);
    input.value = '';
    if (files.length === 0) return;
    clearError();
    if (compute.where !== 'browser' || !compute.register) return showError('your own model runs in this browser: choose "in this browser" first');
    try {
      const { card, labels } = formCard();
      const m = await compute.register(files, card, labels);
      models = [...models.filter((x) => x.name !== m.name), m];
      if (!Array.from(modelSel.options).some((o) => o.value === m.name)) {
        modelSel.append(new Option(`${m.name} (yours)`, m.name));
        compareSel.append(new Option(m.name, m.name));
      }
      modelSel.value = m.name;
      buildPanels();
    } catch (e) {
      showError(`${files.map((f) => f.name).join(', ')}: ${(e as Error).message}`);
    }
  });
}

function redrawAll(): void {
  const d = displaySettings();
  drawLegend($<HTMLCanvasElement>('legend'), d);
  $('legend-lo').textContent = d.signed ? '− largest |value|' : 'smallest |value|';
  $('legend-mid').textContent = d.signed ? '0' : '';
  $('legend-hi').textContent = d.signed ? '+ largest' : 'largest';
  for (const p of panels) p.redraw();
}

interface SavedSettings { version: 1; model: string; compare: string; where: string; display: DisplaySettings; methods: Record<string, Record<string, unknown>> }

function wireSettings(): void {
  for (const id of ['view', 'colormap', 'opacity', 'signed']) $(id).addEventListener('input', redrawAll);
  $('save-settings').addEventListener('click', () => {
    const s: SavedSettings = {
      version: 1, model: modelSel.value, compare: compareSel.value, where: compute.where, display: displaySettings(),
      methods: Object.fromEntries(panels[0]?.cards.map((c) => [c.method.name, c.form.values()]) ?? []),
    };
    download('neuromask-settings.json', new Blob([JSON.stringify(s, null, 2)], { type: 'application/json' }));
  });
  const load = $<HTMLInputElement>('load-settings');
  load.addEventListener('change', async () => {
    const f = load.files?.[0];
    load.value = '';
    if (!f) return;
    try {
      const s = JSON.parse(await f.text()) as SavedSettings;
      if (s.version !== 1 || typeof s.display !== 'object') throw new Error('not a neuromask settings file');
      $<HTMLSelectElement>('view').value = s.display.view;
      $<HTMLSelectElement>('colormap').value = s.display.colormap;
      $<HTMLInputElement>('opacity').value = String(s.display.opacity);
      $<HTMLInputElement>('signed').checked = s.display.signed;
      if (models.some((m) => m.name === s.model)) modelSel.value = s.model;
      compareSel.value = models.some((m) => m.name === s.compare) ? s.compare : '';
      buildPanels();
      for (const p of panels) for (const c of p.cards) c.form.restore(s.methods[c.method.name] ?? {});
      redrawAll();
    } catch (e) {
      showError(`${f.name}: ${(e as Error).message}`);
    }
  });
}

/** In this browser by default when it can (WebAssembly; threads need the isolation headers), else on the server. */
function wireWhere(): void {
  const browser = $<HTMLInputElement>('where-browser');
  const server = $<HTMLInputElement>('where-server');
  let inBrowser: Compute | undefined;
  const pick = (where: string): void => {
    compute = where === 'browser' ? (inBrowser ??= browserCompute()) : serverCompute;
    browser.checked = where === 'browser';
    server.checked = where !== 'browser';
    document.body.dataset['where'] = compute.where;
  };
  if (typeof WebAssembly !== 'object') {
    browser.disabled = true;
    browser.parentElement!.title = 'this browser has no WebAssembly';
  }
  const wanted = new URLSearchParams(location.search).get('where');
  pick(wanted ?? (browser.disabled ? 'server' : 'browser'));
  for (const r of [browser, server]) r.addEventListener('change', () => (pick(r.value), buildPanels()));
}

async function start(): Promise<void> {
  $('isolation').textContent = crossOriginIsolated ? 'cross-origin isolated' : 'not isolated';
  document.body.dataset['isolated'] = String(crossOriginIsolated);
  wireWhere();
  const [m, me, ex] = await Promise.all([
    get<{ models: ModelEntry[]; preferred: string | null }>('/api/models'),
    get<{ methods: MethodEntry[] }>('/api/methods'),
    get<{ examples: string[] }>('/api/examples'),
  ]);
  models = m.models;
  methods = me.methods;
  modelSel.append(...models.map((x) => new Option(`${x.name} (${x.kind})`, x.name)));
  compareSel.append(...models.map((x) => new Option(x.name, x.name)));
  const asked = new URLSearchParams(location.search).get('model');
  modelSel.value = (asked && models.some((x) => x.name === asked) ? asked : undefined) ?? m.preferred ?? models.find((x) => x.kind === 'named')?.name ?? models[0]?.name ?? '';
  $<HTMLSelectElement>('examples').append(...ex.examples.map((n) => new Option(n, n)));
  modelSel.addEventListener('change', buildPanels);
  compareSel.addEventListener('change', buildPanels);
  wireInput();
  wireSettings();
  wireOwnModel();
  buildPanels();
  redrawAll();
  await setupResults((p, label) => {
    modelSel.value = p.model;
    buildPanels();
    void openImage({ id: p.image, name: label, width: p.width, height: p.height }).then(() => {
      const card = panels[0]?.cards.find((c) => c.method.name === p.method);
      card?.showMap(b64ToF32(p.map), `${label}: the map computed offline`);
      card?.element.scrollIntoView();
    });
  }, showError);
  document.body.dataset['ready'] = 'true';
}

start().catch((e: Error) => showError(`the page could not start: ${e.message}`));
