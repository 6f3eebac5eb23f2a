import type { FastifyInstance } from 'fastify';

/** The part of an OpenAPI document the list page reads. */
interface OpenApiDocument {
  readonly paths?: Readonly<Record<string, Readonly<Record<string, { summary?: string; 'x-access'?: string }>>>>;
}

/** The one version string of the document; the package version is the lead's to bump. */
const API_TITLE = 'upsguard API';

/** What buildServer registers at the root, before any route, so @fastify/swagger sees every route as it is added. */
export const OPENAPI_OPTIONS = {
  openapi: {
    openapi: '3.0.3',
    info: {
      title: API_TITLE,
      version: '1',
      description:
        'The console API of upsguard. Log in (POST /api/login) for a session cookie, or send an API token as ' +
        '`Authorization: Bearer`. Every route says its least role in `x-access`.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        session: { type: 'apiKey', in: 'cookie', name: 'upsguard_session' },
      },
    },
  },
  // Each operation carries the access its route declares, so a reader knows who may call it.
  transform: ({ schema, url, route }: { schema: unknown; url: string; route: { config?: unknown } }) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    const base = (schema ?? {}) as Record<string, unknown>;
    return { schema: access === undefined ? base : { ...base, 'x-access': access }, url };
  },
} as const;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A plain page listing every operation: no script (the page's CSP allows none inline), the JSON beside it. */
function docsPage(doc: OpenApiDocument): string {
  const rows: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (!op) continue;
      rows.push(
        `<tr><td>${method.toUpperCase()}</td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(op['x-access'] ?? '')}</td><td>${escapeHtml(op.summary ?? '')}</td></tr>`,
      );
    }
  }
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${API_TITLE}</title></head><body>` +
    `<h1>${API_TITLE}</h1><p>The OpenAPI document: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a></p>` +
    `<table><thead><tr><th>Method</th><th>Path</th><th>Access</th><th>Summary</th></tr></thead><tbody>` +
    `${rows.join('')}</tbody></table></body></html>`
  );
}

/** GET /api/docs (a list of operations) and GET /api/docs/openapi.json: viewers, like the rest of the reads. */
export function docsRoutes(app: FastifyInstance): void {
  const document = (): OpenApiDocument => (app as unknown as { swagger(): OpenApiDocument }).swagger();
  app.get(
    '/api/docs/openapi.json',
    { config: { access: 'viewer' }, schema: { summary: 'This OpenAPI document', hide: true } },
    () => document(),
  );
  app.get(
    '/api/docs',
    { config: { access: 'viewer' }, schema: { summary: 'The API operations, listed', hide: true } },
    (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage(document())),
  );
}
