// The page's static files are not TypeScript: copy them next to the compiled server.
import { cpSync, chmodSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
cpSync(resolve(root, 'src/web/assets'), resolve(root, 'dist/web/assets'), { recursive: true });
chmodSync(resolve(root, 'dist/main.js'), 0o755);
