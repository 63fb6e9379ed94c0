import type { MethodEntry, Prediction } from './api.js';
import { MethodCard, type CardHost } from './method-card.js';

/** One model's view of the open image: its top-5 (click a class to explain it) and a card per method. */
export class ModelPanel {
  readonly element: HTMLElement;
  readonly cards: MethodCard[];
  private readonly top5: HTMLOListElement;
  private readonly title: HTMLElement;
  private prediction: Prediction | undefined;
  private image: { id: string; name: string } | undefined;

  constructor(
    readonly model: string,
    methods: readonly MethodEntry[],
    private readonly host: CardHost,
    readonly side: 'a' | 'b',
  ) {
    this.element = document.createElement('section');
    this.element.className = 'panel';
    this.element.dataset['panel'] = side;
    this.element.setAttribute('aria-label', `model ${model}`);
    this.title = document.createElement('h2');
    this.title.textContent = model;
    this.top5 = document.createElement('ol');
    this.top5.className = 'top5';
    this.top5.setAttribute('aria-label', `top-5 classes of ${model}`);
    const cards = document.createElement('div');
    cards.className = 'cards';
    // NeuroMask first (it spans the row), then the others in the registry's order.
    const ordered = [...methods].sort((a, b) => Number(b.name === 'neuromask') - Number(a.name === 'neuromask'));
    this.cards = ordered.map((m) => new MethodCard(m, host, `${side}-`));
    cards.append(...this.cards.map((c) => c.element));
    this.element.append(this.title, this.top5, cards);
  }

  /** Predict on a new image, show the top-5 and explain the top class. */
  async open(image: { id: string; name: string }): Promise<void> {
    this.image = image;
    this.top5.replaceChildren();
    this.title.textContent = `${this.model}: predicting…`;
    const t0 = performance.now();
    const p = await this.host.compute().predict(this.model, image.id);
    this.prediction = p;
    this.element.dataset['predictMs'] = String(Math.round(performance.now() - t0));
    this.element.dataset['opened'] = String(Number(this.element.dataset['opened'] ?? 0) + 1);
    this.title.textContent = this.model;
    this.top5.replaceChildren(
      ...p.top5.map((c, i) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.dataset['class'] = String(c.index);
        b.textContent = `${c.label ?? c.index} ${(100 * c.probability).toFixed(1)}%`;
        b.setAttribute('aria-pressed', String(i === 0));
        b.title = `explain class ${c.index}`;
        b.addEventListener('click', () => this.explainClass(c.index));
        li.append(b);
        return li;
      }),
    );
    this.explainClass(p.top5[0]!.index);
  }

  explainClass(index: number): void {
    const p = this.prediction;
    if (!p || !this.image) return;
    for (const b of Array.from(this.top5.querySelectorAll('button'))) b.setAttribute('aria-pressed', String(b.dataset['class'] === String(index)));
    this.element.dataset['target'] = String(index);
    const display = p.display;
    const ctx = { model: this.model, image: this.image.id, imageName: this.image.name, display, height: p.height, width: p.width, target: index, targetLabel: p.labels?.[index] ?? String(index) };
    for (const c of this.cards) c.setContext(ctx);
  }

  get display(): { display: Uint8Array; height: number; width: number } | undefined {
    return this.prediction && { display: this.prediction.display, height: this.prediction.height, width: this.prediction.width };
  }

  redraw(): void {
    for (const c of this.cards) c.redraw();
  }
}
