import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

interface PageFile {
  readonly type: string;
  readonly plain: Buffer;
  readonly gzip: Buffer | null;
  readonly brotli: Buffer | null;
}

/**
 * Where the built page is: dist/web/assets/ after `npm run build` (this file is dist/web/routes/page.js), or
 * src/web/assets/build/ when the server runs from src/ (the tests' global setup builds it there).
 */
function pageDir(): URL | null {
  for (const rel of ['../assets/build/', '../assets/']) {
    const dir = new URL(rel, import.meta.url);
    if (existsSync(new URL('app.js', dir))) return dir;
  }
  return null;
}

function readOptional(url: URL): Buffer | null {
  return existsSync(url) ? readFileSync(url) : null;
}

function load(dir: URL, file: string): PageFile {
  const url = new URL(file, dir);
  return {
    type: TYPES[file] ?? 'application/octet-stream',
    plain: readFileSync(url),
    gzip: readOptional(new URL(`${file}.gz`, dir)),
    brotli: readOptional(new URL(`${file}.br`, dir)),
  };
}

/** Which of the encodings we hold the browser takes; `br;q=0` means no. */
function accepts(req: FastifyRequest, coding: 'br' | 'gzip'): boolean {
  const header = req.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  return header.split(',').some((part) => {
    const [name, ...params] = part.trim().split(';');
    if (name?.trim().toLowerCase() !== coding) return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function send(req: FastifyRequest, reply: FastifyReply, f: PageFile): FastifyReply {
  void reply.type(f.type).header('cache-control', 'no-cache').header('vary', 'Accept-Encoding');
  if (f.brotli && accepts(req, 'br')) return reply.header('content-encoding', 'br').send(f.brotli);
  if (f.gzip && accepts(req, 'gzip')) return reply.header('content-encoding', 'gzip').send(f.gzip);
  return reply.send(f.plain);
}

/** The page: a few built files, read once at start, sent pre-compressed when the browser takes it. */
export function pageRoutes(app: FastifyInstance): void {
  const dir = pageDir();
  const routes: ReadonlyArray<[route: string, file: string]> = [
    ['/', 'index.html'],
    ['/app.js', 'app.js'],
    ['/app.css', 'app.css'],
    ['/favicon.svg', 'favicon.svg'],
  ];
  for (const [route, file] of routes) {
    const f = dir && existsSync(new URL(file, dir)) ? load(dir, file) : null;
    app.get(route, { config: { access: 'public' } }, (req, reply) =>
      f
        ? send(req, reply, f)
        : // The API goes on without the page; say why there is none rather than fail the start.
          reply.status(503).type('text/plain; charset=utf-8').send('the page is not built: run `npm run build`'),
    );
  }
  app.get('/favicon.ico', { config: { access: 'public' } }, (_req, reply) => reply.redirect('/favicon.svg', 301));
}
