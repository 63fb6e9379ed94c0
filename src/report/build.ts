import { join } from 'node:path';
import sharp from 'sharp';
import { readPairMap, type EvalResults } from '../eval/runner.js';
import { loadImage } from '../image/load.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { PreprocessSpec } from '../models/spec.js';
import { overlayPng } from '../viz/render.js';
import { reportHtml, type ReportRow } from './html.js';

export interface ReportOptions {
  title: string;
  /** At most this many image rows (default 100): a row per image of a 1000-image run would be huge. */
  maxImages?: number;
  tolerance?: number;
}

/**
 * Renders each image and its maps (read back from `<out>/pairs/`) at the model's input size (the
 * browser scales them) and writes `<out>/report.html`; returns its path.
 */
export async function writeReport(out: string, results: EvalResults, spec: PreprocessSpec, o: ReportOptions): Promise<string> {
  const shown = results.images.slice(0, o.maxImages ?? 100);
  const rows: ReportRow[] = [];
  for (const img of shown) {
    const image = await loadImage(img.source, spec);
    const { height: h, width: w, display } = image;
    const overlays = new Map<string, Uint8Array>();
    for (const m of results.methods) {
      if (!results.pairs.some((p) => p.image === img.id && p.method === m)) continue;
      const map = await readPairMap(out, img.id, m);
      const png = await overlayPng(display, h, w, map, { colormap: 'jet', alpha: 0.5, minSize: 0 });
      // A 256-colour palette looks the same on a heat map and makes the report several times smaller.
      overlays.set(m, await sharp(png).png({ palette: true, colours: 256, dither: 0 }).toBuffer());
    }
    const original = await sharp(display, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
    rows.push({ id: img.id, height: h, width: w, original, overlays });
  }
  const html = reportHtml({
    title: o.title,
    results,
    rows,
    ...(o.tolerance !== undefined ? { tolerance: o.tolerance } : {}),
    omittedRows: results.images.length - shown.length,
  });
  const path = join(out, 'report.html');
  await writeFileAtomic(path, html);
  return path;
}
