import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import type { EvalResults, PairResult } from '../src/eval/runner.js';
import { encodeNpy } from '../src/io/npy.js';
import { PreprocessSpecSchema } from '../src/models/spec.js';
import { writeReport } from '../src/report/build.js';
import { resultsCsv } from '../src/report/csv.js';
import { reportHtml, type ReportRow } from '../src/report/html.js';
import { summarise } from '../src/report/summary.js';

const S = 16;

function pair(image: string, method: string, v: Partial<PairResult>): PairResult {
  return {
    image, source: `/x/${image}.png`, method, target: { index: 3, label: 'Dress' },
    deletionAuc: 0, insertionAuc: 0, maskArea: null, maskedProbability: null,
    seconds: 1, forwardPasses: 10, backwardPasses: 0, pointingHit: null, energyInBox: null,
    stability: null, sanityTop: null, sanityAll: null, ...v,
  };
}

/** Two images × two methods with numbers whose means are easy to check by hand. */
function results(): EvalResults {
  const pairs = [
    pair('a', 'neuromask', { deletionAuc: 0.1, insertionAuc: 0.9, maskArea: 0.2, maskedProbability: 0.8, seconds: 2, forwardPasses: 200, pointingHit: true, energyInBox: 0.5 }),
    pair('a', 'grad<cam', { deletionAuc: 0.3, insertionAuc: 0.5, seconds: 0.1, forwardPasses: 1, backwardPasses: 1, pointingHit: false, energyInBox: 0.2 }),
    pair('b', 'neuromask', { deletionAuc: 0.4, insertionAuc: 0.7, maskArea: 0.1, maskedProbability: 0.6, seconds: 4, forwardPasses: 300, pointingHit: true, energyInBox: 0.7 }),
    pair('b', 'grad<cam', { deletionAuc: 0.5, insertionAuc: 0.6, seconds: 0.3, forwardPasses: 1, backwardPasses: 1, pointingHit: true, energyInBox: 0.4 }),
  ];
  const methods = ['neuromask', 'grad<cam'];
  const pointing = new Map([['neuromask', { hits: 2, misses: 0, accuracy: 1 }], ['grad<cam', { hits: 1, misses: 1, accuracy: 0.5 }]]);
  return {
    model: 'tiny', seed: 0, methods, seconds: 3, restored: 0, stability: 0, sanity: false,
    images: [{ id: 'a', source: '/x/a.png', boxes: [[1, 2, 5, 6]] }, { id: 'b', source: '/x/b.png', boxes: [[0, 0, 3, 3]] }],
    pairs, summary: summarise(pairs, methods, pointing),
  };
}

async function png(seed: number): Promise<Buffer> {
  const data = Buffer.from(Array.from({ length: S * S * 3 }, (_, i) => (i * 31 + seed * 17) % 256));
  return sharp(data, { raw: { width: S, height: S, channels: 3 } }).png().toBuffer();
}

async function rows(r: EvalResults): Promise<ReportRow[]> {
  return Promise.all(r.images.map(async (img, k) => ({
    id: img.id, height: S, width: S, original: await png(k),
    overlays: new Map(await Promise.all(r.methods.map(async (m, j) => [m, await png(10 + k * 3 + j)] as [string, Buffer]))),
  })));
}

/** The cells of the table row whose header cell is `name`, inside the section titled `section`. */
function tableRow(html: string, section: string, name: string): string[] {
  const part = html.slice(html.indexOf(`<h2>${section}</h2>`));
  const row = new RegExp(`<tr><th>${name}</th>(.*?)</tr>`).exec(part);
  assert.ok(row, `no row ${name} in ${section}`);
  return [...row[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!);
}

describe('report.html', () => {
  it('is self-contained: every picture a data URI, no external URL', async () => {
    const r = results();
    const html = reportHtml({ title: 'T', results: r, rows: await rows(r) });
    assert.doesNotMatch(html, /https?:\/\/|\/\/[a-z]|<link|<script|@import/i);
    const srcs = [...html.matchAll(/\ssrc="([^"]*)"/g)].map((m) => m[1]!);
    assert.ok(srcs.length > 0 && srcs.every((s) => s.startsWith('data:image/png;base64,')));
    assert.doesNotMatch(html.replace(/url\(data:/g, ''), /url\(/);
  });

  it('has one picture per (image, method) plus the originals, and escapes names', async () => {
    const r = results();
    const html = reportHtml({ title: 'T', results: r, rows: await rows(r) });
    assert.equal([...html.matchAll(/<img /g)].length, 2 * (2 + 1));
    assert.equal([...html.matchAll(/class="box"/g)].length, 2 * (2 + 1), 'each box drawn on the original and on every overlay');
    assert.doesNotMatch(html, /grad<cam/);
    assert.match(html, /grad&#60;cam/);
  });

  it('shows the right means, pointing first, and dashes where a method has no value', async () => {
    const r = results();
    const html = reportHtml({ title: 'T', results: r, rows: await rows(r), tolerance: 0 });
    assert.ok(html.indexOf('<h2>Pointing game</h2>') < html.indexOf('<h2>Means per method</h2>'));
    assert.deepEqual(tableRow(html, 'Pointing game', 'grad&#60;cam'), ['1', '1', '0.500']);
    // Columns: pairs, deletion, insertion, area, masked p, energy, seconds, forward, backward.
    assert.deepEqual(tableRow(html, 'Means per method', 'neuromask'), ['2', '0.250', '0.800', '0.150', '0.700', '0.600', '3.00', '250', '0']);
    assert.deepEqual(tableRow(html, 'Means per method', 'grad&#60;cam'), ['2', '0.400', '0.550', '–', '–', '0.300', '0.20', '1', '1']);
    assert.match(html, /within a tolerance of 0 px/);
  });

  it('shows stability and sanity columns and captions only when the run computed them', async () => {
    const off = results();
    const htmlOff = reportHtml({ title: 'T', results: off, rows: await rows(off) });
    assert.doesNotMatch(htmlOff, /stability|sanity/i);
    assert.equal(resultsCsv(off.pairs, off.summary, off).split('\n')[0], 'image,method,target,target_label,deletion_auc,insertion_auc,mask_area,masked_probability,seconds,forward_passes,backward_passes,pointing_hit,energy_in_box');
    const on = results();
    on.stability = 3;
    on.sanity = true;
    const vals: [number, number, number][] = [[1, 0.9, 0.2], [0.5, 0.3, 0.1], [1, 0.7, NaN], [0.7, 0.5, 0.3]];
    on.pairs.forEach((p, i) => ([p.stability, p.sanityTop, p.sanityAll] = vals[i]!));
    on.summary = summarise(on.pairs, on.methods, new Map());
    const html = reportHtml({ title: 'T', results: on, rows: await rows(on) });
    assert.match(html, /<th>stability ρ ↑<\/th><th>sanity ρ top ↓<\/th><th>sanity ρ all ↓<\/th>/);
    // Columns: pairs, deletion, insertion, area, masked p, energy, stability, sanity top, sanity all, seconds, forward, backward.
    assert.deepEqual(tableRow(html, 'Means per method', 'neuromask'), ['2', '0.250', '0.800', '0.150', '0.700', '0.600', '1.000', '0.800', '0.200', '3.00', '250', '0']);
    assert.deepEqual(tableRow(html, 'Means per method', 'grad&#60;cam').slice(6, 9), ['0.600', '0.400', '0.200']);
    assert.match(html, /<span>stab 1\.000<\/span> <span>sanity 0\.900 \/ 0\.200<\/span>/);
    assert.match(html, /<span>sanity 0\.700 \/ n\/a<\/span>/, 'an undefined ρ is n/a, not a number');
    assert.match(html, /Stability: the mean pairwise Spearman ρ .* seeds 0…2/);
    assert.match(html, /Sanity \(Adebayo et al\. 2018\)/);
    const csv = resultsCsv(on.pairs, on.summary, on).trim().split('\n').map((l) => l.split(','));
    assert.deepEqual(csv[0]!.slice(-3), ['stability', 'sanity_top', 'sanity_all']);
    assert.deepEqual(csv[1]!.slice(-3), ['1', '0.9', '0.2']);
    assert.deepEqual(csv[3]!.slice(-3), ['1', '0.7', 'NaN']);
    assert.deepEqual(csv[5]!.slice(-3).map(Number), [1, 0.8, 0.2], 'mean row leaves the undefined ρ out');
    const onlyStab = { ...on, sanity: false };
    assert.deepEqual(resultsCsv(on.pairs, on.summary, onlyStab).split('\n')[0]!.split(',').slice(-2), ['energy_in_box', 'stability']);
    assert.doesNotMatch(reportHtml({ title: 'T', results: onlyStab, rows: [] }), /sanity ρ/);
  });

  it('says so when images are left out of the picture rows', async () => {
    const r = results();
    const html = reportHtml({ title: 'T', results: r, rows: (await rows(r)).slice(0, 1), omittedRows: 1 });
    assert.match(html, /Showing 1 of 2 images/);
    assert.equal([...html.matchAll(/<img /g)].length, 3);
  });

  it('writeReport draws each saved map over its image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nm-report-'));
    const r = results();
    for (const [k, img] of r.images.entries()) {
      img.source = join(dir, `${img.id}.png`);
      writeFileSync(img.source, await png(k));
      mkdirSync(join(dir, 'pairs', img.id), { recursive: true });
      for (const m of r.methods) {
        const map = Float32Array.from({ length: S * S }, (_, i) => (i === 0 ? 1 : 0)); // one hot pixel
        writeFileSync(join(dir, 'pairs', img.id, `${m}.npy`), encodeNpy(map, [S, S]));
      }
    }
    const spec = PreprocessSpecSchema.parse({ inputSize: [S, S], resize: 'stretch', mean: [0, 0, 0], std: [1, 1, 1] });
    const path = await writeReport(dir, r, spec, { title: 'T' });
    const html = readFileSync(path, 'utf8');
    const pics = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64'));
    assert.equal(pics.length, 6);
    const original = await sharp(pics[0]!).raw().toBuffer();
    const overlay = await sharp(pics[1]!).raw().toBuffer();
    assert.equal((await sharp(pics[1]!).metadata()).width, S);
    // jet at alpha 0.5: the hot pixel turns red-ish, a cold one blue-ish, against the original.
    assert.ok(overlay[0]! > original[0]! / 2 + 40 && overlay[2]! < original[2]! / 2 + 40, `hot pixel ${[...overlay.subarray(0, 3)]}`);
    assert.ok(overlay[5 * 3 + 2]! > original[5 * 3 + 2]! / 2 + 40, 'cold pixel is blue');
  });
});
