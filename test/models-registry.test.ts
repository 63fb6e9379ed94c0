import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ChecksumError } from '../src/errors/checksum-error.js';
import { ModelNotFoundError } from '../src/errors/model-not-found-error.js';
import { assetsDir, DEFAULT_MODEL } from '../src/models/builtin.js';
import { cacheRoot, resolveNamedModel, sha256File } from '../src/models/cache.js';
import { listModels } from '../src/models/list.js';
import { findNamedModel } from '../src/models/registry.js';

const SHARED = new URL('../../shared/models/', import.meta.url).pathname;
const ENTRY = findNamedModel('mobilenetv2-imagenet')!;
const realModel = join(SHARED, ENTRY.dir, ENTRY.model.file);
const realLabels = join(SHARED, ENTRY.dir, 'labels.txt');
const savedHome = process.env['NEUROMASK_HOME'];

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'neuromask-registry-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  if (savedHome === undefined) delete process.env['NEUROMASK_HOME'];
  else process.env['NEUROMASK_HOME'] = savedHome;
});

/** Serves fixed bytes per URL; records what was asked. Never touches the network. */
function fakeFetch(files: Record<string, Uint8Array>): { fetchImpl: (url: string) => Promise<Response>; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetchImpl: async (url: string) => {
      urls.push(url);
      const body = files[url];
      return body ? new Response(Uint8Array.from(body)) : new Response('nope', { status: 404, statusText: 'Not Found' });
    },
  };
}

describe('registry', () => {
  it('knows mobilenetv2-imagenet with its card', () => {
    assert.equal(ENTRY.model.sha256, 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f');
    assert.equal(ENTRY.model.size, 3_655_033);
    assert.match(ENTRY.model.url, /^https:\/\/github\.com\/onnx\/models\/raw\/main\/validated\/vision\/classification\/mobilenet\/model\/mobilenetv2-12-int8\.onnx$/);
    assert.deepEqual(ENTRY.card.preprocess.inputSize, [224, 224]);
    assert.equal(ENTRY.card.preprocess.resizeShorter, 256);
  });

  it('labels hash is the shared labels.txt', async () => {
    assert.equal(await sha256File(realLabels), ENTRY.labels!.sha256);
  });

  it('cache root defaults to ~/.cache/neuromask and follows NEUROMASK_HOME', () => {
    delete process.env['NEUROMASK_HOME'];
    assert.match(cacheRoot(), /\.cache[\\/]neuromask$/);
    process.env['NEUROMASK_HOME'] = tmp;
    assert.equal(cacheRoot(), tmp);
  });
});

describe('resolveNamedModel', () => {
  it('finds and verifies the shared model without writing there', async () => {
    process.env['NEUROMASK_HOME'] = SHARED;
    const before = await readdir(join(SHARED, ENTRY.dir));
    const r = await resolveNamedModel('mobilenetv2-imagenet', { allowDownload: false });
    assert.equal(r.modelPath, realModel);
    assert.equal(r.labelsPath, realLabels);
    assert.deepEqual(await readdir(join(SHARED, ENTRY.dir)), before, 'nothing written beside it');
  });

  it('rejects a copy with one byte changed (ChecksumError naming file and hashes)', async () => {
    const home = join(tmp, 'corrupt');
    const dir = join(home, ENTRY.dir);
    await mkdir(dir, { recursive: true });
    const bytes = await readFile(realModel);
    bytes[1000] = bytes[1000]! ^ 1;
    await writeFile(join(dir, ENTRY.model.file), bytes);
    await copyFile(realLabels, join(dir, 'labels.txt'));
    process.env['NEUROMASK_HOME'] = home;
    await assert.rejects(resolveNamedModel('mobilenetv2-imagenet', { allowDownload: false }), (e: unknown) => {
      assert.ok(e instanceof ChecksumError);
      assert.equal(e.file, join(dir, ENTRY.model.file));
      assert.equal(e.expected, ENTRY.model.sha256);
      assert.notEqual(e.actual, e.expected);
      assert.ok(e.message.includes(ENTRY.model.sha256) && e.message.includes(e.actual));
      return true;
    });
  });

  it('hashes on every use: a copy corrupted in place with its old size and mtime is refused', async () => {
    const home = join(tmp, 'in-place');
    const dir = join(home, ENTRY.dir);
    const file = join(dir, ENTRY.model.file);
    await mkdir(dir, { recursive: true });
    await copyFile(realModel, file);
    await copyFile(realLabels, join(dir, 'labels.txt'));
    // Whole seconds, so that setting the time back is exact.
    await utimes(file, 1_700_000_000, 1_700_000_000);
    process.env['NEUROMASK_HOME'] = home;
    await resolveNamedModel('mobilenetv2-imagenet', { allowDownload: false });
    const bytes = await readFile(file);
    bytes[5] = bytes[5]! ^ 1;
    await writeFile(file, bytes);
    await utimes(file, 1_700_000_000, 1_700_000_000);
    assert.equal((await stat(file)).mtimeMs, 1_700_000_000_000);
    await assert.rejects(resolveNamedModel('mobilenetv2-imagenet', { allowDownload: false }), ChecksumError);
  });

  it('downloads with a fake fetch: right bytes appear under the final name only', async () => {
    const home = join(tmp, 'download');
    process.env['NEUROMASK_HOME'] = home;
    const f = fakeFetch({ [ENTRY.model.url]: await readFile(realModel), [ENTRY.labels!.url]: await readFile(realLabels) });
    const seen: number[] = [];
    const r = await resolveNamedModel('mobilenetv2-imagenet', { allowDownload: true, fetchImpl: f.fetchImpl, onProgress: (p) => seen.push(p.received) });
    assert.deepEqual(f.urls, [ENTRY.model.url, ENTRY.labels!.url]);
    assert.equal(await sha256File(r.modelPath), ENTRY.model.sha256);
    assert.equal(seen.at(-1), ENTRY.labels!.size);
    assert.deepEqual((await readdir(join(home, ENTRY.dir))).filter((n) => n.endsWith('.part')), []);
    // Now present: no second download.
    await resolveNamedModel('mobilenetv2-imagenet', { allowDownload: true, fetchImpl: f.fetchImpl });
    assert.equal(f.urls.length, 2);
  });

  it('wrong downloaded bytes: ChecksumError and no file left behind', async () => {
    const home = join(tmp, 'wrong');
    process.env['NEUROMASK_HOME'] = home;
    const f = fakeFetch({ [ENTRY.model.url]: new Uint8Array(1234) });
    await assert.rejects(resolveNamedModel('mobilenetv2-imagenet', { allowDownload: true, fetchImpl: f.fetchImpl }), ChecksumError);
    assert.deepEqual(await readdir(join(home, ENTRY.dir)), []);
  });

  it('HTTP failure: ModelNotFoundError with the URL, no file left behind', async () => {
    const home = join(tmp, 'http');
    process.env['NEUROMASK_HOME'] = home;
    const f = fakeFetch({});
    await assert.rejects(resolveNamedModel('mobilenetv2-imagenet', { allowDownload: true, fetchImpl: f.fetchImpl }), (e: unknown) => {
      assert.ok(e instanceof ModelNotFoundError);
      assert.match(e.message, /HTTP 404/);
      assert.ok(e.message.includes(ENTRY.model.url));
      return true;
    });
    assert.deepEqual(await readdir(join(home, ENTRY.dir)), []);
  });

  it('missing and no download: ModelNotFoundError saying where, the URL and how to place it', async () => {
    const home = join(tmp, 'empty');
    process.env['NEUROMASK_HOME'] = home;
    await assert.rejects(resolveNamedModel('mobilenetv2-imagenet', { allowDownload: false }), (e: unknown) => {
      assert.ok(e instanceof ModelNotFoundError);
      const where = join(home, ENTRY.dir, ENTRY.model.file);
      assert.ok(e.message.includes(ENTRY.model.url), e.message);
      assert.ok(e.message.includes(where), e.message);
      assert.deepEqual(e.searched, [where]);
      return true;
    });
  });

  it('unknown name lists the known ones', async () => {
    await assert.rejects(resolveNamedModel('resnet-9000', { allowDownload: false }), /known: mobilenetv2-imagenet/);
  });
});

describe('built-in models and listing', () => {
  it('resolves assets/ at the package root', () => {
    assert.equal(assetsDir(), new URL('../assets/', import.meta.url).pathname);
    assert.equal(DEFAULT_MODEL, 'fashion-mnist-cnn');
  });

  it('lists named models with location or "not downloaded"', async () => {
    process.env['NEUROMASK_HOME'] = SHARED;
    const found = (await listModels()).find((m) => m.name === 'mobilenetv2-imagenet');
    assert.equal(found?.location, realModel);
    assert.equal(found?.classes, 1000);
    assert.equal(found?.input, '224x224 rgb nchw, center-crop from 256');
    process.env['NEUROMASK_HOME'] = join(tmp, 'nothing');
    const missing = (await listModels()).find((m) => m.name === 'mobilenetv2-imagenet');
    assert.equal(missing?.location, 'not downloaded');
  });
});
