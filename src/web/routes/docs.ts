import type { FastifyInstance } from 'fastify';
import type { OpenApiBook, OpenApiDocument } from './openapi-document.js';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A plain page listing every operation: no script (the page's CSP allows none inline), the JSON beside it. */
function docsPage(doc: OpenApiDocument, title: string): string {
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
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>` +
    `<h1>${title}</h1><p>The OpenAPI document: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a></p>` +
    `<table><thead><tr><th>Method</th><th>Path</th><th>Access</th><th>Summary</th></tr></thead><tbody>` +
    `${rows.join('')}</tbody></table></body></html>`
  );
}

/** GET /api/docs (a list of operations) and GET /api/docs/openapi.json: viewers, like the rest of the reads. */
export function docsRoutes(app: FastifyInstance, opts: { book: OpenApiBook }): void {
  const { book } = opts;
  app.get(
    '/api/docs/openapi.json',
    { config: { access: 'viewer' }, schema: { summary: 'This OpenAPI document', hide: true } },
    () => book.get(),
  );
  app.get(
    '/api/docs',
    { config: { access: 'viewer' }, schema: { summary: 'The API operations, listed', hide: true } },
    async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage(await book.get(), book.title)),
  );
}
