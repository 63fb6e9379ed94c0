import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ManifestSchema } from '../src/eval/manifest.js';
import { NeuroMaskOptionsSchema } from '../src/methods/neuromask/options.js';
import { parseOptionsOf } from '../src/methods/parse-options.js';
import { findMethod, methodNames } from '../src/methods/registry.js';
import { didYouMean, editDistance, nearestName } from '../src/util/nearest.js';
import { describeZodError, keysAt } from '../src/util/zod-words.js';

/** Plain dynamic programming over all alignments, written independently of the rolling rows. */
function referenceOsa(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const sub = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + sub);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

describe('nearest name', () => {
  const cases: [string, string, number][] = [
    ['', '', 0],
    ['', 'abc', 3],
    ['iteration', 'iterations', 1],
    ['iteartions', 'iterations', 1],
    ['bbox', 'boxes', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ];
  for (const [a, b, want] of cases) {
    it(`distance('${a}', '${b}') = ${want}, symmetric`, () => {
      assert.equal(editDistance(a, b), want);
      assert.equal(editDistance(b, a), want);
    });
  }

  it('matches an independent full-table implementation on random strings', () => {
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const word = () => Array.from({ length: Math.floor(rnd() * 7) }, () => 'abc'[Math.floor(rnd() * 3)]).join('');
    for (let k = 0; k < 300; k++) {
      const a = word();
      const b = word();
      assert.equal(editDistance(a, b), referenceOsa(a, b), `${a} / ${b}`);
    }
  });

  it('suggests the closest plausible candidate, or nothing', () => {
    assert.equal(nearestName('iteration', ['learningRate', 'iterations', 'init']), 'iterations');
    assert.equal(nearestName('bbox', ['file', 'target', 'boxes']), 'boxes');
    assert.equal(nearestName('Preset', ['preset']), 'preset');
    assert.equal(nearestName('zebra', ['file', 'target', 'boxes']), undefined);
    assert.equal(didYouMean('stpes', ['steps', 'baseline']), "; did you mean 'steps'?");
    assert.equal(didYouMean('qqq', ['steps']), '');
  });
});

describe('zod errors in words', () => {
  const words = (schema: z.ZodType, v: unknown, ctx: Parameters<typeof describeZodError>[1] = {}) => {
    const r = schema.safeParse(v);
    assert.equal(r.success, false);
    return describeZodError(r.error!, { schema, ...ctx });
  };

  it('names an unknown option, its owner and the nearest known one', () => {
    assert.equal(words(NeuroMaskOptionsSchema, { iteration: 5 }, { noun: 'option', owner: 'neuromask' }), "unknown option 'iteration' for neuromask; did you mean 'iterations'?");
  });

  for (const name of methodNames()) {
    it(`${name}'s options are strict: an unknown key is refused by name`, () => {
      const m = findMethod(name)!;
      assert.throws(() => parseOptionsOf(m, { notAnOption: 1 }), new RegExp(`^UsageError: unknown option 'notAnOption' for ${name}`));
    });
  }

  it('finds the allowed keys of a nested object (manifest entries)', () => {
    assert.deepEqual(keysAt(ManifestSchema, ['images', 3]).sort(), ['boxes', 'file', 'predicted', 'target']);
    assert.equal(words(ManifestSchema, { images: [{ file: 'a.png' }, { file: 'b.png', bbox: [[0, 0, 1, 1]] }] }), "images.1: unknown key 'bbox'; did you mean 'boxes'?");
  });

  it('says that an object takes no keys at all', () => {
    assert.equal(words(z.strictObject({}), { steps: 3 }, { noun: 'option', owner: 'gradient' }), "gradient takes no options (got 'steps')");
  });

  const S = z.strictObject({
    inputSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    alpha: z.number().min(0).max(1).optional(),
    laplacian: z.union([z.literal(3), z.literal(5)]).optional(),
    kind: z.enum(['black', 'blur']).optional(),
    target: z.union([z.number().int().nonnegative(), z.string().min(1)]).optional(),
    name: z.string().min(1).optional(),
    boxes: z.array(z.number()).min(1).optional(),
  });
  const table: [string, unknown, string][] = [
    ['missing tuple', {}, 'inputSize: missing (expected a list)'],
    ['wrong type', { inputSize: 'big' }, 'inputSize: expected a list, got a string'],
    ['short tuple', { inputSize: [224] }, 'inputSize: needs at least 2 items'],
    ['not an integer', { inputSize: [224, 1.5] }, 'inputSize.1: must be a whole number'],
    ['above the maximum', { inputSize: [1, 1], alpha: 2 }, 'alpha: must be ≤ 1'],
    ['literal union', { inputSize: [1, 1], laplacian: 4 }, 'laplacian: must be one of 3, 5'],
    ['enum', { inputSize: [1, 1], kind: 'grey' }, "kind: must be one of 'black', 'blur'"],
    ['union of types', { inputSize: [1, 1], target: true }, 'target: expected a number or a string, got true or false'],
    ['empty string', { inputSize: [1, 1], name: '' }, 'name: must not be empty'],
    ['empty list', { inputSize: [1, 1], boxes: [] }, 'boxes: needs at least 1 item'],
  ];
  for (const [name, v, want] of table) {
    it(`${name}: "${want}"`, () => {
      const text = words(S, v);
      assert.equal(text, want);
      assert.doesNotMatch(text, /Invalid input|Too (small|big)/);
    });
  }

  it('names command flags as --kebab-case', () => {
    assert.equal(words(z.object({ reportImages: z.number().nonnegative() }), { reportImages: -1 }, { flags: true }), '--report-images: must be ≥ 0');
  });

  it('keeps a message written in the schema, and counts what it does not show', () => {
    const R = z.object({ a: z.number().refine((x) => x > 1, { message: 'a must exceed 1' }), b: z.number(), c: z.number(), d: z.number() });
    assert.equal(words(R, { a: 0, b: 'x', c: 'y', d: 'z' }), 'a: a must exceed 1; b: expected a number, got a string; c: expected a number, got a string (and 1 more problem)');
  });
});
