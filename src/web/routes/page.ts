import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
  /** A strong validator of the content, so a reload revalidates (304) instead of fetching the bytes again. */
  readonly etag: string;
  /** The split views' files, named by their content hash: kept by the browser, never asked for again. */
  readonly immutable: boolean;
  /**
   * The version index.html asks for (`/app.js?v=…`, scripts/build-client.mjs fileVersion: the same digest): a request
   * for it is answered as kept for good; any other (no version, an old page's) is revalidated.
   */
  readonly version: string;
}

/** Where the split views are (scripts/build-client.mjs CHUNK_DIR), and what a chunk's name looks like there. */
const CHUNK_DIR = 'chunks';
// Dotted names too (esbuild names uPlot's file after its module, uPlot.esm-HASH.js), never a path or `..`.
const CHUNK_NAME = /^(?=.{1,80}$)[\w-]+(?:\.[\w-]+)*\.js$/;

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

function load(dir: URL, file: string, immutable = false): PageFile {
  const url = new URL(file, dir);
  const plain = readFileSync(url);
  return {
    type: TYPES[file] ?? (file.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'application/octet-stream'),
    plain,
    gzip: readOptional(new URL(`${file}.gz`, dir)),
    brotli: readOptional(new URL(`${file}.br`, dir)),
    etag: `"${createHash('sha256').update(plain).digest('base64url').slice(0, 22)}"`,
    immutable,
    version: createHash('sha256').update(plain).digest('base64url').slice(0, 16),
  };
}

/** The split views' files, read once like the rest; none when the build made none. */
function loadChunks(dir: URL): Map<string, PageFile> {
  const chunks = new Map<string, PageFile>();
  const at = new URL(`${CHUNK_DIR}/`, dir);
  if (!existsSync(at)) return chunks;
  for (const name of readdirSync(at)) {
    if (CHUNK_NAME.test(name)) chunks.set(name, load(dir, `${CHUNK_DIR}/${name}`, true));
  }
  return chunks;
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

/** Whether the browser's copy (If-None-Match) is this one. */
function fresh(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  return typeof header === 'string' && header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function send(req: FastifyRequest, reply: FastifyReply, f: PageFile): FastifyReply {
  const coding = f.brotli && accepts(req, 'br') ? 'br' : f.gzip && accepts(req, 'gzip') ? 'gzip' : null;
  const body = coding === 'br' ? f.brotli : coding === 'gzip' ? f.gzip : f.plain;
  // One tag per encoding: each is its own set of bytes.
  const etag = coding ? `${f.etag.slice(0, -1)}-${coding}"` : f.etag;
  // The fixed names (index.html, app.js) change with each build: kept, but checked each time (no-cache + ETag), unless
  // asked for at the version this build's index.html names.
  const version = (req.query as { v?: unknown }).v;
  const kept = f.immutable || version === f.version;
  void reply
    .type(f.type)
    .header('cache-control', kept ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'Accept-Encoding')
    .header('etag', etag);
  if (fresh(req, etag)) return reply.status(304).send();
  if (coding) void reply.header('content-encoding', coding);
  return reply.send(body);
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
  const chunks = dir ? loadChunks(dir) : new Map<string, PageFile>();
  app.get<{ Params: { name: string } }>(`/${CHUNK_DIR}/:name`, { config: { access: 'public' } }, (req, reply) => {
    const f = chunks.get(req.params.name);
    return f ? send(req, reply, f) : reply.status(404).type('text/plain; charset=utf-8').send('no such file');
  });
  app.get('/favicon.ico', { config: { access: 'public' } }, (_req, reply) => reply.redirect('/favicon.svg', 301));
}
