import type { FastifyInstance } from 'fastify';
import type { CreatedTokenResponse, RevokedTokenResponse, TokensResponse } from '../api-types/users.js';
import type { TokenStore } from '../auth/token-store.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const createBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    scope: { type: 'string', enum: ['read', 'operate'] },
  },
  required: ['name', 'scope'],
} as const;

const tokenParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const;

export interface TokenRouteOptions {
  readonly tokens: TokenStore;
}

/**
 * API tokens, for admins. A token's text is in the answer to the POST that made it and nowhere else: not in the
 * list, the log or the audit row (which names the token by its name).
 */
export function tokenRoutes(instance: FastifyInstance, { tokens }: TokenRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/tokens', { config: { access: 'admin' } }, (): TokensResponse => ({ tokens: tokens.list() }));

  app.post('/api/tokens', { config: { access: 'admin' }, schema: { body: createBody } }, (req, reply) => {
    const { name, scope } = req.body;
    const created = tokens.create(name, scope, req.principal?.name ?? 'unknown');
    req.auditDetail = `token ${name} (${scope}) created`;
    const body: CreatedTokenResponse = { id: created.id, name, scope, token: created.token };
    return reply.status(201).send(body);
  });

  app.delete(
    '/api/tokens/:id',
    { config: { access: 'admin' }, schema: { params: tokenParams } },
    (req): RevokedTokenResponse => {
      const revoked = tokens.revoke(req.params.id);
      req.auditDetail = `token ${revoked.name} revoked`;
      return { revoked: revoked.id };
    },
  );
}
