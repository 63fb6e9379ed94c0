import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CliProcess } from './helpers/cli-process.js';
import { startServe } from './helpers/serve.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BAG = fileURLToPath(new URL('../assets/images/fashion/8-bag.png', import.meta.url));

describe('neuromask serve: the server', () => {
  let server: { proc: CliProcess; url: string };
  before(async () => {
    server = await startServe(['--model', 'fashion-mnist-cnn', '--threads', '1']);
  });
  after(async () => {
    await server?.proc.kill('SIGTERM');
  });

  it('sends the isolation headers on the page, its assets and the API', async () => {
    const page = await fetch(server.url);
    assert.equal(page.status, 200);
    const html = await page.text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, 'the page links its script');
    for (const path of ['', script, 'api/models', 'api/nothing-here']) {
      const r = await fetch(new URL(path, server.url));
      assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin', path);
      assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp', path);
    }
  });

  it('compresses the page\'s script and serves onnxruntime-web\'s wasm itself, compressed', async () => {
    const html = await (await fetch(server.url)).text();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
    const r = await fetch(new URL(script, server.url), { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.headers.get('content-encoding'), 'gzip');
    for (const encoding of ['br', 'gzip']) {
      const w = await fetch(new URL('ort/ort-wasm-simd-threaded.wasm', server.url), { headers: { 'accept-encoding': encoding } });
      assert.equal(w.status, 200);
      assert.equal(w.headers.get('content-type'), 'application/wasm');
      assert.equal(w.headers.get('content-encoding'), encoding);
      const bytes = new Uint8Array(await w.arrayBuffer()); // fetch decodes it
      assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], 'the wasm magic after decoding');
      assert.equal(w.headers.get('cross-origin-embedder-policy'), 'require-corp');
    }
  });

  it('offers the operator\'s --model first and never a named model that is not downloaded', async () => {
    const r = (await (await fetch(new URL('api/models', server.url))).json()) as { models: { name: string }[]; preferred: string };
    assert.equal(r.preferred, 'fashion-mnist-cnn');
    assert.ok(r.models.some((m) => m.name === 'fashion-mnist-cnn'));
  });

  it('refuses a bad upload with a JSON error and goes on serving', async () => {
    const bad = await fetch(new URL('api/images?name=bad.png', server.url), { method: 'POST', body: 'this is not an image' });
    assert.equal(bad.status, 415);
    assert.match(((await bad.json()) as { error: string }).error, /not a PNG, JPEG, WebP or GIF/);
    const truncated = (await readFile(BAG)).subarray(0, 120);
    const t = await fetch(new URL('api/images?name=cut.png', server.url), { method: 'POST', body: truncated });
    assert.equal(t.status, 422);
    assert.match(((await t.json()) as { error: string }).error, /cannot decode/);
    const good = await fetch(new URL('api/images?name=bag.png', server.url), { method: 'POST', body: await readFile(BAG) });
    assert.equal(good.status, 200);
    const { id } = (await good.json()) as { id: string };
    const p = await fetch(new URL('api/predict', server.url), { method: 'POST', body: JSON.stringify({ model: 'fashion-mnist-cnn', image: id }) });
    assert.equal(((await p.json()) as { top5: { label: string }[] }).top5[0]!.label, 'Bag');
  });

  it('refuses an upload over the size limit with a JSON error', async () => {
    const big = new Uint8Array(21 * 1024 * 1024);
    const r = await fetch(new URL('api/images?name=big.png', server.url), { method: 'POST', body: big });
    assert.equal(r.status, 413);
    assert.match(((await r.json()) as { error: string }).error, /larger than the 20 MB limit/);
  });

  it('never opens a path from the client: an image id or example name that is a path is unknown', async () => {
    const r = await fetch(new URL('api/examples/open', server.url), { method: 'POST', body: JSON.stringify({ name: '../../package.json' }) });
    assert.equal(r.status, 404);
    const p = await fetch(new URL('api/predict', server.url), { method: 'POST', body: JSON.stringify({ model: 'fashion-mnist-cnn', image: '/etc/passwd' }) });
    assert.equal(p.status, 404);
    const m = await fetch(new URL('api/predict', server.url), { method: 'POST', body: JSON.stringify({ model: '/etc/passwd', image: 'x' }) });
    assert.equal(m.status, 404);
  });

  it('a port in use is a one-line usage error (exit 2)', async () => {
    const port = new URL(server.url).port;
    const second = new CliProcess(['serve', '--port', port], ROOT);
    assert.equal(await second.exited, 2);
    assert.match(second.stderr, new RegExp(`neuromask: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  });

  it('warns when it listens on an address other machines can reach', async () => {
    const open = new CliProcess(['serve', '--port', '0', '--host', '0.0.0.0'], ROOT);
    await open.waitFor(/serving on/);
    assert.match(open.stderr, /warning: listening on 0\.0\.0\.0: other machines/);
    assert.equal(await open.kill('SIGTERM'), 143);
    assert.match(open.stderr, /server stopped/);
  });
});
