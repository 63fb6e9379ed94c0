import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { build, type Plugin } from 'vite';

/** Packages that only run in Node (native add-ons, Node APIs), besides node: built-ins. */
const NODE_ONLY = new Set(['sharp', 'onnxruntime-node', 'ioredis', 'bullmq', 'cli-progress', 'commander', '@hono/node-server']);
const isNodeOnly = (id: string): boolean => id.startsWith('node:') || builtinModules.includes(id) || NODE_ONLY.has(id) || [...NODE_ONLY].some((p) => id.startsWith(`${p}/`));

/** Bundle an entry for the browser, recording every import it reaches that only Node has, with who imports it. */
async function nodeImports(entry: string): Promise<string[]> {
  const found: string[] = [];
  await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'browser', 'module', 'import', 'default'] },
    build: {
      write: false,
      lib: { entry, formats: ['es'], fileName: 'probe' },
    },
    plugins: [
      {
        name: 'probe-node-imports',
        enforce: 'pre',
        resolveId(id: string, importer: string | undefined) {
          if (!isNodeOnly(id)) return null;
          found.push(`${id} <- ${importer?.replace(process.cwd() + '/', '') ?? '?'}`);
          return { id, external: true };
        },
      } satisfies Plugin,
    ],
  });
  return found;
}

describe('browser entry point', () => {
  it('reaches no Node-only module from src/web/index.ts', { timeout: 120_000 }, async () => {
    assert.deepEqual(await nodeImports('src/web/index.ts'), []);
  });

  it('the probe finds a Node import (the Node entry point has several)', { timeout: 120_000 }, async () => {
    const found = await nodeImports('src/runtime/engine.ts');
    assert.ok(found.some((f) => f.startsWith('onnxruntime-node <- src/platform/node.ts')), found.join('\n'));
  });
});
