import type { FastifyInstance } from 'fastify';
import type { UsersResponse } from '../api-types/users.js';
import type { WebAccounts, WebUsers } from '../auth/users.js';
import { tokenRoutes } from './tokens.js';

export interface UserRouteOptions {
  readonly users: Pick<WebUsers, 'list'>;
}

/** The configured users and their roles, for admins: names and roles only, never a password or hash. */
export function userRoutes(app: FastifyInstance, { users }: UserRouteOptions): void {
  app.get('/api/users', { config: { access: 'admin' } }, (): UsersResponse => ({ users: users.list() }));
}

/** GET /api/users and the token routes, from `deps.accounts`: what the server registers when it has them. */
export function accountRoutes(app: FastifyInstance, { accounts }: { readonly accounts: WebAccounts }): void {
  void app.register(userRoutes, { users: accounts.users });
  void app.register(tokenRoutes, { tokens: accounts.tokens });
}
