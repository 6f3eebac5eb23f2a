import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const assets: ReadonlyArray<[route: string, file: string, type: string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/style.css', 'style.css', 'text/css; charset=utf-8'],
  ['/favicon.svg', 'favicon.svg', 'image/svg+xml'],
  ['/shutdown.js', 'shutdown.js', 'text/javascript; charset=utf-8'],
];

/** The page is a few small static files, read once at start. */
export function pageRoutes(app: FastifyInstance): void {
  const dir = new URL('../assets/', import.meta.url);
  for (const [route, file, type] of assets) {
    const body = readFileSync(new URL(file, dir));
    app.get(route, (_req, reply) => reply.type(type).header('cache-control', 'no-cache').send(body));
  }
  app.get('/favicon.ico', (_req, reply) => reply.redirect('/favicon.svg', 301));
}
