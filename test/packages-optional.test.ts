import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ModelNotFoundError } from '../src/errors/model-not-found-error.js';
import { listModels } from '../src/models/list.js';
import { PACKAGE_MODELS, packageModelPath } from '../src/models/packages.js';

interface Pkg {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Pkg;
const PACKAGES = [...new Set(PACKAGE_MODELS.map((m) => m.package))];
/** A resolver for a machine where no packaged model's npm package is installed. */
const absent = (): undefined => undefined;

describe('packaged models are optional', () => {
  it('their npm packages are optional peer dependencies, pinned, and dev dependencies so the tests run them', () => {
    assert.deepEqual(PACKAGES.sort(), ['@vladmandic/human', 'nsfwjs']);
    for (const p of PACKAGES) {
      assert.equal(pkg.dependencies[p], undefined, `${p} is not installed with neuromask`);
      assert.match(pkg.peerDependencies?.[p] ?? '', /^\d+\.\d+\.\d+$/, `${p} peer version pinned`);
      assert.equal(pkg.peerDependenciesMeta?.[p]?.optional, true, `${p} peer is optional`);
      assert.equal(pkg.devDependencies[p], pkg.peerDependencies?.[p], `${p} dev version = peer version`);
    }
    for (const [name, v] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) assert.match(v, /^\d+\.\d+\.\d+$/, `${name}@${v} pinned`);
  });

  it('asking for one whose package cannot be resolved says which package and version to install', () => {
    const nsfw = PACKAGE_MODELS.find((m) => m.name === 'nsfwjs-mobilenet-v2')!;
    assert.throws(() => packageModelPath(nsfw, absent), (e: unknown) => {
      assert.ok(e instanceof ModelNotFoundError);
      assert.equal(e.message, 'model nsfwjs-mobilenet-v2 needs the npm package nsfwjs@4.3.0: npm install nsfwjs@4.3.0');
      return true;
    });
    for (const m of PACKAGE_MODELS) {
      const want = `${m.package}@${pkg.peerDependencies?.[m.package]}`;
      assert.throws(() => packageModelPath(m, absent), { message: `model ${m.name} needs the npm package ${want}: npm install ${want}` });
    }
  });

  it('`neuromask models` says how to add each one that is not installed', async () => {
    const rows = await listModels(absent);
    for (const m of PACKAGE_MODELS) {
      const row = rows.find((r) => r.name === m.name)!;
      const want = `${m.package}@${pkg.peerDependencies?.[m.package]}`;
      assert.equal(row.location, `not installed: npm install ${want} to add it`);
      assert.ok(row.source.startsWith(`npm ${want} (optional)`), row.source);
      assert.equal(row.sizeBytes, 0);
    }
  });
});
