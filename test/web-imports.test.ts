import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { describe, it } from 'node:test';
import { build, type Plugin } from 'vite';

/** Packages that only run in Node (native add-ons, Node APIs), besides node: built-ins. */
const NODE_ONLY = new Set(['sharp', 'onnxruntime-node', 'ioredis', 'bullmq', 'cli-progress', 'commander', '@hono/node-server']);
const isNodeOnly = (id: string): boolean => id.startsWith('node:') || builtinModules.includes(id) || NODE_ONLY.has(id) || [...NODE_ONLY].some((p) => id.startsWith(`${p}/`));

/** Node's globals, which a browser lacks: their use in our own sources reached from the entry. */
const NODE_GLOBALS = /\b(Buffer\.|process\.|__dirname|__filename|require\()/;

/** Bundle an entry for the browser, recording every import it reaches that only Node has (with who imports it), and our sources using Node's globals. */
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
        transform(code: string, id: string) {
          const own = id.startsWith(`${process.cwd()}/src/`);
          const line = own ? code.split('\n').find((l) => NODE_GLOBALS.test(l) && !/^\s*(\/\/|\*)/.test(l)) : undefined;
          if (line) found.push(`${id.replace(process.cwd() + '/', '')} uses a Node global: ${line.trim()}`);
          return null;
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
    assert.ok(found.some((f) => f.startsWith('src/runtime/graph-cache.ts uses a Node global')), found.join('\n'));
  });
});
