// The dashboard builds to static files under web/dist that the admin listener serves at `/`.
// base './' keeps asset URLs relative, so the same build works wherever it is mounted.
// `npm run dev:web` proxies /admin to a running gateway (TREATY_ADMIN_URL, default the demo's
// admin listener), so the app always talks to same-origin /admin/… — no CORS, no API-URL knob.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // No public/ folder: everything the app needs is imported from src/.
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Small app: one JS and one CSS file, nothing inlined, so a strict CSP (script-src 'self') holds.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/admin': process.env.TREATY_ADMIN_URL ?? 'http://127.0.0.1:8081' },
  },
});
