import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { EventsStore } from '../../../src/store/events.js';
import { ReadingsStore } from '../../../src/store/readings.js';
import { Listeners } from '../../../src/util/listeners.js';
import type { CreatedTokenResponse, TokensResponse, UsersResponse } from '../../../src/web/api-types/users.js';
import { TokenStore } from '../../../src/web/auth/token-store.js';
import { createWebAuth } from '../../../src/web/auth/web-auth.js';
import type { LiveEvents } from '../../../src/web/deps.js';
import { accountRoutes } from '../../../src/web/routes/users.js';
import { buildServer } from '../../../src/web/server.js';
import { TEST_HOST, webLogin } from '../../helpers/web-login.js';
import { plainUsers } from './rig.js';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

function store(): { tokens: TokenStore; db: Db; advance: (ms: number) => void } {
  const db = openDatabase(':memory:');
  dbs.push(db);
  let t = T0;
  return { tokens: new TokenStore(db, () => t), db, advance: (ms) => void (t += ms) };
}

describe('TokenStore', () => {
  test('create, list, verify, revoke; only the hash is stored', () => {
    const { tokens, db, advance } = store();
    const ha = tokens.create('ha-read', 'read', 'admin');
    const ops = tokens.create('cron', 'operate', 'admin');
    expect(ha.token).toMatch(/^ugt_[A-Za-z0-9_-]{43}$/);
    expect(ha.token).not.toBe(ops.token);

    const rows = db.prepare('SELECT * FROM api_tokens ORDER BY name').all() as Record<string, unknown>[];
    expect(rows.map((r) => r.token_sha256).sort()).toEqual([sha256(ha.token), sha256(ops.token)].sort());
    expect(JSON.stringify(rows)).not.toContain(ha.token.slice(4));
    expect(JSON.stringify(rows)).not.toContain(ops.token.slice(4));

    expect(tokens.list()).toEqual([
      {
        id: ha.id,
        name: 'ha-read',
        scope: 'read',
        createdAt: new Date(T0).toISOString(),
        createdBy: 'admin',
        lastUsedAt: null,
      },
      {
        id: ops.id,
        name: 'cron',
        scope: 'operate',
        createdAt: new Date(T0).toISOString(),
        createdBy: 'admin',
        lastUsedAt: null,
      },
    ]);

    advance(5000);
    expect(tokens.verifyToken(ha.token)).toEqual({ name: 'ha-read', role: 'viewer', via: 'token', id: ha.id });
    expect(tokens.verifyToken(`Bearer ${ops.token}`)).toEqual({
      name: 'cron',
      role: 'operator',
      via: 'token',
      id: ops.id,
    });
    expect(tokens.list().map((t) => t.lastUsedAt)).toEqual([
      new Date(T0 + 5000).toISOString(),
      new Date(T0 + 5000).toISOString(),
    ]);

    // Wrong, malformed or truncated tokens are nobody.
    for (const bad of [
      '',
      'ugt_',
      ha.token.slice(0, -1),
      `${ha.token}x`,
      ha.token.toUpperCase(),
      `ugt_${'A'.repeat(43)}`,
    ]) {
      expect(tokens.verifyToken(bad)).toBeNull();
    }

    expect(tokens.revoke(ha.id).name).toBe('ha-read');
    expect(tokens.verifyToken(ha.token)).toBeNull();
    expect(tokens.list().map((t) => t.name)).toEqual(['cron']);
    expect(JSON.stringify(tokens.list())).not.toContain(ops.token);
  });

  test('bad names, duplicate names and unknown ids are typed errors', () => {
    const { tokens } = store();
    tokens.create('ha', 'read', 'admin');
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof UpsguardError ? `${e.code}: ${e.message}` : String(e);
      }
      return undefined;
    };
    expect(codeOf(() => tokens.create('ha', 'operate', 'admin'))).toBe(
      `${ErrorCode.RequestInvalid}: a token named "ha" exists; revoke it first`,
    );
    expect(codeOf(() => tokens.create('', 'read', 'admin'))).toMatch(/^REQUEST_INVALID: a token name is/);
    expect(codeOf(() => tokens.create('a\nb', 'read', 'admin'))).toMatch(/^REQUEST_INVALID: a token name is/);
    expect(codeOf(() => tokens.revoke('nope'))).toBe(`${ErrorCode.NotFound}: no such token`);
  });
});

async function server() {
  const db = openDatabase(':memory:');
  dbs.push(db);
  let logged = '';
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        logged += chunk.toString();
        done();
      },
    }),
  });
  const tokens = new TokenStore(db, () => T0);
  const auth = createWebAuth({
    db,
    now: () => T0,
    users: plainUsers(),
    verifyToken: (bearer) => tokens.verifyToken(bearer),
    sleep: () => Promise.resolve(),
  });
  const users = { list: () => [{ name: 'admin', role: 'admin' as const, nut: false, source: 'config' as const }] };
  const app = buildServer({
    ups: [],
    events: new EventsStore(db),
    readings: new ReadingsStore(db),
    live: new Listeners<LiveEvents>(),
    log,
    now: () => T0,
    auth,
  });
  await app.register(accountRoutes, { accounts: { users, tokens } });
  await app.ready();
  return { app, auth, logText: () => logged, close: () => app.close() };
}

describe('token and user routes', () => {
  test('an admin makes a token (shown once), lists and revokes it; the token works as its scope and no further', async () => {
    const s = await server();
    try {
      const admin = await webLogin(s.app);
      const made = await s.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: admin.headers,
        payload: { name: 'ha-read', scope: 'read' },
      });
      expect(made.statusCode).toBe(201);
      const created = made.json<CreatedTokenResponse>();
      expect(created).toEqual({ id: created.id, name: 'ha-read', scope: 'read', token: created.token });
      expect(created.token).toMatch(/^ugt_/);

      const listed = await s.app.inject({ method: 'GET', url: '/api/tokens', headers: admin.headers });
      expect(listed.statusCode).toBe(200);
      expect(listed.json<TokensResponse>().tokens.map((t) => [t.name, t.scope, t.createdBy])).toEqual([
        ['ha-read', 'read', 'admin'],
      ]);
      expect(listed.body).not.toContain(created.token);

      // The token reads as a viewer; tokens and users are for admins only.
      const bearer = { authorization: `Bearer ${created.token}`, host: TEST_HOST };
      expect((await s.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer })).statusCode).toBe(403);
      expect((await s.app.inject({ method: 'GET', url: '/api/users', headers: bearer })).statusCode).toBe(403);

      const users = await s.app.inject({ method: 'GET', url: '/api/users', headers: admin.headers });
      expect(users.json<UsersResponse>()).toEqual({
        users: [{ name: 'admin', role: 'admin', nut: false, source: 'config' }],
      });

      const viewer = await webLogin(s.app, 'viewer');
      expect((await s.app.inject({ method: 'GET', url: '/api/tokens', headers: viewer.headers })).statusCode).toBe(403);
      const refused = await s.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: viewer.headers,
        payload: { name: 'mine', scope: 'operate' },
      });
      expect(refused.statusCode).toBe(403);

      const badScope = await s.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: admin.headers,
        payload: { name: 'x', scope: 'admin' },
      });
      expect(badScope.statusCode).toBe(400);

      const revoked = await s.app.inject({
        method: 'DELETE',
        url: `/api/tokens/${created.id}`,
        headers: admin.headers,
      });
      expect(revoked.statusCode).toBe(200);
      expect(revoked.json()).toEqual({ revoked: created.id });
      expect((await s.app.inject({ method: 'GET', url: '/api/tokens', headers: bearer })).statusCode).toBe(401);
      const again = await s.app.inject({ method: 'DELETE', url: `/api/tokens/${created.id}`, headers: admin.headers });
      expect(again.statusCode).toBe(404);

      const audit = s.auth.audit.list(null, 100);
      const details = audit.map((a) => a.detail);
      expect(details).toContain('token ha-read (read) created');
      expect(details).toContain('token ha-read revoked');
      expect(JSON.stringify(audit)).not.toContain(created.token);
      expect(s.logText()).not.toContain(created.token);
      expect(s.logText()).not.toContain(created.token.slice(4, 20));
    } finally {
      await s.close();
    }
  });
});
