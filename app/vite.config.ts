import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The page of `neuromask serve`, built at package build time into dist/app (served by src/server). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: process.env['NEUROMASK_APP_OUT'] ?? fileURLToPath(new URL('../dist/app/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
  },
});
