// The page's static files are not TypeScript: copy them next to the compiled server (the bundle is built after).
import { cpSync, chmodSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
// The tests' build of the page (src/web/assets/build/) is not copied: scripts/build-client.mjs builds the page for dist.
const assets = resolve(root, 'src/web/assets');
cpSync(assets, resolve(root, 'dist/web/assets'), {
  recursive: true,
  filter: (src) => src !== resolve(assets, 'build') && !src.startsWith(resolve(assets, 'build') + '/'),
});
chmodSync(resolve(root, 'dist/main.js'), 0o755);
