import type { FastifyInstance } from 'fastify';
import type { AuditResponse } from '../api-types/auth.js';
import type { WebAuth } from '../auth/web-auth.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    before: { type: 'integer', minimum: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 500 },
  },
} as const;

/** The audit log for admins: newest first, paged by `before` (the smallest id of the previous page). */
export function auditRoutes(instance: FastifyInstance, { auth }: { readonly auth: WebAuth }): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/audit', { config: { access: 'admin' }, schema: { querystring: auditQuery } }, (req): AuditResponse => {
    const limit = req.query.limit ?? 100;
    const entries = auth.audit.list(req.query.before ?? null, limit);
    const last = entries.at(-1);
    return { entries, nextBefore: entries.length === limit && last ? last.id : null };
  });
}
