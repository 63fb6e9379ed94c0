import type { JsonSchema } from './api.js';

export interface SettingsForm {
  element: HTMLDetailsElement;
  /** The options the user set (blank fields keep the method's defaults). */
  values(): Record<string, unknown>;
  restore(v: Record<string, unknown>): void;
}

const kindOf = (s: JsonSchema): string | undefined => s.type ?? (s.anyOf?.every((a) => a.type === 'number') ? 'number' : undefined);

/** A labelled field per number, integer, boolean or enum option of a method's JSON schema. */
export function settingsForm(method: string, schema: JsonSchema): SettingsForm {
  const el = document.createElement('details');
  el.innerHTML = `<summary>Settings</summary>`;
  const fields = new Map<string, { get(): unknown; set(v: unknown): void }>();
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    const kind = kindOf(s);
    const label = document.createElement('label');
    label.textContent = key;
    const id = `${method}-${key}`;
    if (s.enum) {
      const sel = document.createElement('select');
      sel.id = id;
      sel.innerHTML = `<option value="">${s.default === undefined ? '(default)' : `(default: ${String(s.default)})`}</option>` + s.enum.map((v) => `<option>${String(v)}</option>`).join('');
      label.append(sel);
      fields.set(key, { get: () => sel.value || undefined, set: (v) => (sel.value = v === undefined ? '' : String(v)) });
    } else if (kind === 'boolean') {
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.id = id;
      box.checked = s.default === true;
      label.append(box);
      const initial = box.checked;
      fields.set(key, { get: () => (box.checked === initial ? undefined : box.checked), set: (v) => (box.checked = v === undefined ? initial : Boolean(v)) });
    } else if (kind === 'number' || kind === 'integer') {
      const input = document.createElement('input');
      input.type = 'number';
      input.id = id;
      input.step = kind === 'integer' ? '1' : 'any';
      input.placeholder = s.default === undefined ? 'default' : String(s.default);
      label.append(input);
      fields.set(key, { get: () => (input.value === '' ? undefined : Number(input.value)), set: (v) => (input.value = v === undefined ? '' : String(v)) });
    } else if (kind === 'string') {
      const input = document.createElement('input');
      input.id = id;
      input.placeholder = 'default';
      label.append(input);
      fields.set(key, { get: () => input.value || undefined, set: (v) => (input.value = v === undefined ? '' : String(v)) });
    } else continue;
    el.append(label);
  }
  return {
    element: el,
    values: () => Object.fromEntries([...fields].map(([k, f]) => [k, f.get()]).filter(([, v]) => v !== undefined)),
    restore: (v) => fields.forEach((f, k) => f.set(v[k])),
  };
}
