/**
 * The items the study scripts score: the ten study photos (docs/study/boxes.json; `dog@444` is
 * dog.jpg with target 444) and the fashion-canvas benchmark.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, type Box } from '../src/eval/manifest.js';
import type { EvalItem } from '../src/eval/types.js';

const IMAGES = new URL('../../shared/images/', import.meta.url).pathname;
const BOXES = new URL('../docs/study/boxes.json', import.meta.url);
const CANVAS = new URL('../assets/benchmarks/fashion-canvas/manifest.json', import.meta.url).pathname;

/** The study photos with their hand-drawn boxes, ids as in boxes.json (`dog@444`). */
export function studyPhotos(): (EvalItem & { boxes: [Box] })[] {
  const boxes = (JSON.parse(readFileSync(BOXES, 'utf8')) as { boxes: Record<string, { box: Box }> }).boxes;
  const files = Object.fromEntries(readdirSync(IMAGES).filter((f) => /\.(jpe?g|png)$/i.test(f)).map((f) => [f.replace(/\.[^.]+$/, ''), f]));
  return Object.entries(boxes).map(([id, { box }]) => {
    const [name, target] = id.split('@') as [string, string | undefined];
    return { id, source: join(IMAGES, files[name]!), boxes: [box], ...(target ? { target: Number(target) } : {}) };
  });
}

/** The first n fashion-canvas items, each with its one box. */
export async function canvasItems(n: number): Promise<(EvalItem & { boxes: [Box] })[]> {
  return (await readManifest(CANVAS)).slice(0, n).map((e) => ({ ...e, boxes: [e.boxes![0]!] }));
}
