import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

let app: App;
beforeAll(async () => {
  app = await startSimApp({ extra: { users: testUsers() } });
});
afterAll(async () => {
  await app.stop();
});

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; 'x-access'?: string; responses?: unknown }>>;
}

describe('the OpenAPI document', () => {
  test('served to viewers at /api/docs/openapi.json, not to anonymous callers', async () => {
    const web = app.server();
    expect((await web.inject({ method: 'GET', url: '/api/docs/openapi.json' })).statusCode).toBe(401);
    expect((await web.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBe(401);
    const viewer = await webLogin(web, 'viewer');
    const res = await web.inject({ method: 'GET', url: '/api/docs/openapi.json', headers: viewer.headers });
    expect(res.statusCode).toBe(200);
    const doc = res.json<Doc>();
    expect(doc.openapi).toMatch(/^3\./);
    // Every registered route is in it with its method, schema or not, and carries its access.
    for (const [path, method] of [
      ['/api/status', 'get'],
      ['/api/login', 'post'],
      ['/api/ups/{name}/commands/{cmd}', 'post'],
      ['/metrics', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/status']!.get!['x-access']).toBe('viewer');
    expect(doc.paths['/metrics']!.get!['x-access']).toBe('metrics');
    expect(doc.paths['/readyz']!.get!.responses).toHaveProperty('503');
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) expect(op['x-access']).toMatch(/^(public|viewer|operator|admin|metrics)$/);
    }

    const page = await web.inject({ method: 'GET', url: '/api/docs', headers: viewer.headers });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<code>/api/status</code>');
    expect(page.body).not.toMatch(/<script/i);
  });
});
