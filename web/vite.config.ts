import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));
// The dev server forwards the admin API to a running gateway (or the mock of test/browser).
const apiTarget = process.env['AGW_CONSOLE_API'] ?? 'http://127.0.0.1:8045';

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [react()],
  build: { outDir, emptyOutDir: true },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/auth': { target: apiTarget, changeOrigin: false },
    },
  },
});
