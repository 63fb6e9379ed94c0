import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { constants, gzipSync, brotliCompressSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
/** onnxruntime-web's wasm build and its glue, served by the app itself from ort/ (no CDN). */
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

function copyOrt(): Plugin {
  let outDir = '';
  return {
    name: 'neuromask-app-ort',
    apply: 'build',
    configResolved: (c) => void (outDir = c.build.outDir),
    async closeBundle() {
      await mkdir(join(outDir, 'ort'), { recursive: true });
      for (const f of ORT_FILES) await copyFile(join(ortDist, f), join(outDir, 'ort', f));
      // 14 MB of wasm: compressed once here (served as .br/.gz by the server), not per request.
      const wasm = await readFile(join(ortDist, ORT_FILES[1]!));
      await writeFile(join(outDir, 'ort', `${ORT_FILES[1]}.gz`), gzipSync(wasm, { level: 9 }));
      await writeFile(join(outDir, 'ort', `${ORT_FILES[1]}.br`), brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }));
    },
  };
}

/** The page of `neuromask serve`, built at package build time into dist/app (served by src/server). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  publicDir: false,
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'browser', 'module', 'import', 'default'] },
  build: {
    outDir: process.env['NEUROMASK_APP_OUT'] ?? fileURLToPath(new URL('../dist/app/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
  plugins: [copyOrt()],
});
