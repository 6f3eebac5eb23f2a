import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { NutPart } from '../../src/app/nut-part.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { systemClock } from '../../src/util/clock.js';
import type { NutStateResponse } from '../../src/web/api-types/nut.js';
import { nutState } from '../../src/web/routes/nut.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';
import { as, readRig } from './read-apis-rig.js';

let app: App | undefined;
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await app?.stop();
  app = undefined;
});

/** One NUT client: sends lines, collects what the server answers. */
async function nutClient(port: number): Promise<{ send(line: string): void; text(): string }> {
  const s = net.connect({ host: '127.0.0.1', port });
  sockets.push(s);
  await new Promise((resolve) => s.once('connect', resolve));
  let got = '';
  s.setEncoding('utf8');
  s.on('data', (c: string) => (got += c));
  return { send: (line) => s.write(`${line}\n`), text: () => got };
}

describe('GET /api/nut', () => {
  it('shows the server listening, its logged-in clients with their upsmon role, and FSD per UPS', async () => {
    app = await startSimApp({
      extra: { users: [{ name: 'mon', password: 'mon-secret-password', upsmon: 'secondary' }] },
    });
    const server = app.nutServer()!;
    const addr = server.address()!;
    const before = nutState(server, null);
    expect(before).toMatchObject({ state: 'listening', host: addr.host, port: addr.port, reason: null, clients: [] });
    expect(before.ups).toEqual([{ name: 'sim1', fsd: false, logins: 0 }]);

    const c = await nutClient(addr.port);
    c.send('USERNAME mon');
    c.send('PASSWORD mon-secret-password');
    c.send('LOGIN sim1');
    await until(
      'the login',
      () =>
        c
          .text()
          .split('\n')
          .filter((l) => l === 'OK').length >= 3 || null,
    );
    server.setForcedShutdown('sim1');
    const after = nutState(server, null);
    expect(after.clients).toHaveLength(1);
    expect(after.clients[0]).toMatchObject({ user: 'mon', upsmon: 'secondary', ups: 'sim1' });
    expect(after.clients[0]!.address).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(after.clients[0]!.since)).toBeGreaterThan(0);
    expect(after.ups).toEqual([{ name: 'sim1', fsd: true, logins: 1 }]);
    expect(JSON.stringify(after)).not.toContain('mon-secret-password');
  });

  it('says why not: the port in use, or disabled', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const part = (nut: Record<string, unknown>) =>
      new NutPart({
        config: validateConfig(
          {
            store: { path: ':memory:' },
            nut_server: nut,
            ups: [{ name: 'u', source: { kind: 'sim', scenario: 'steady' } }],
          },
          'test',
          process.cwd(),
          {},
        ).config,
        ups: () => [],
        clock: systemClock,
        log: createLogger({ level: 'silent' }),
        baseDir: process.cwd(),
      });
    const taken = part({ host: '127.0.0.1', port });
    try {
      await taken.start();
    } finally {
      blocker.close();
    }
    expect(taken.current()).toBeNull();
    expect(nutState(taken.current(), taken.whyNotRunning())).toEqual({
      state: 'failed',
      host: null,
      port: null,
      reason: `NUT server cannot listen on 127.0.0.1:${port}: the port is in use`,
      clients: [],
      ups: [],
    });
    const off = part({ enabled: false });
    await off.start();
    expect(nutState(off.current(), off.whyNotRunning())).toMatchObject({
      state: 'disabled',
      reason: 'the NUT server is disabled (nut_server.enabled: false)',
    });
  });

  it('the route answers what readApis.nut says, typed; without it, failed; a viewer is needed', async () => {
    const state: NutStateResponse = {
      state: 'failed',
      host: null,
      port: null,
      reason: 'NUT server cannot listen on 0.0.0.0:3493: the port is in use',
      clients: [],
      ups: [],
    };
    const r = await readRig([], { nut: () => state });
    expect((await r.app.inject({ url: '/api/nut', headers: as('viewer') })).json()).toEqual(state);
    expect((await r.app.inject({ url: '/api/nut' })).statusCode).toBe(401);
    const bare = await readRig([]);
    expect((await bare.app.inject({ url: '/api/nut', headers: as('viewer') })).json()).toMatchObject({
      state: 'failed',
    });
  });
});
