// The browser bundle (`npm run build:web`): src/web/index.ts as one ES module library in
// dist/browser/, with onnxruntime-web's wasm and its glue copied to dist/browser/ort/ so a page
// serves everything itself (no CDN). ORT's "extern wasm" builds are used: they load the glue
// .mjs and .wasm from `env.wasm.wasmPaths` at run time instead of inlining them.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
/** wasm EP (ort.wasm.min.mjs) and WebGPU EP (ort.webgpu.min.mjs, asyncify build). */
export const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
const OUT = 'dist/browser';

function copyOrt(): Plugin {
  let out = OUT;
  return {
    name: 'neuromask-copy-ort',
    apply: 'build',
    configResolved(c) {
      out = c.build.outDir; // a caller may build elsewhere (the browser tests build into a temp folder)
    },
    async closeBundle() {
      await mkdir(join(out, 'ort'), { recursive: true });
      for (const f of ORT_FILES) await copyFile(join(ortDist, f), join(out, 'ort', f));
    },
  };
}

const version = (JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version;

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  define: { __NEUROMASK_VERSION__: JSON.stringify(version) },
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', 'browser', 'module', 'import', 'default'] },
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: true,
    lib: { entry: 'src/web/index.ts', formats: ['es'], fileName: () => 'neuromask.js' },
    rollupOptions: { output: { chunkFileNames: '[name]-[hash].js' } },
  },
  plugins: [copyOrt()],
});
