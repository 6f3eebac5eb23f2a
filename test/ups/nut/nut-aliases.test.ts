// A UPS served under a second name (Synology's `ups`), the demo's NUT users, and a NUT server that cannot start
// becoming an event and a state the API shows.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { NutPart } from '../../../src/app/nut-part.js';
import { demoConfig } from '../../../src/config/demo.js';
import { validateConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import type { NewUpsEvent } from '../../../src/ups/events.js';
import { demoNutLine } from '../../../src/ups/nut/demo-users.js';
import { NutServer } from '../../../src/ups/nut/nut-server.js';
import { ManualClock } from '../../../src/util/clock.js';
import { nutState } from '../../../src/web/routes/nut.js';
import { DEFAULT_SETTINGS, FakeUps, LineClient, USERS } from './server-harness.js';
import { startSimApp } from '../../helpers/demo-app.js';
import { haveNut, run } from '../../helpers/nut-peers.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { nutAliases } from '../../../src/ups/nut/app-nut.js';

const base = { store: { path: ':memory:' }, ups: [{ name: 'rack', source: { kind: 'sim' } }] };
const configOf = (extra: object) => validateConfig({ ...base, ...extra }, 'test', process.cwd(), {}).config;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('NUT aliases', () => {
  test('an alias answers like the UPS (any case), is not listed, and its logins and FSD count on the UPS', async () => {
    const clock = new ManualClock(0);
    const aliased = new NutServer({
      settings: DEFAULT_SETTINGS,
      users: USERS,
      ups: [new FakeUps()],
      aliases: { ups: 'rack' },
      clock,
      log: createLogger({ level: 'silent' }),
      version: 't',
    });
    await aliased.start();
    cleanup.push(() => aliased.stop());
    const c = await LineClient.open(aliased.address()!.port);
    cleanup.push(() => c.end());
    expect(await c.ask('GET VAR ups ups.status')).toEqual(['VAR ups ups.status "OL"']);
    expect(await c.ask('GET VAR UPS UPS.STATUS')).toEqual(['VAR UPS UPS.STATUS "OL"']);
    expect(await c.ask('LIST UPS')).toEqual(['BEGIN LIST UPS', 'UPS rack "Rack UPS"', 'END LIST UPS']);
    await c.ask('USERNAME primary');
    await c.ask('PASSWORD primpass1');
    expect(await c.ask('LOGIN ups')).toEqual(['OK']);
    expect(aliased.numLogins('rack')).toBe(1);
    expect(await c.ask('GET NUMLOGINS RACK')).toEqual(['NUMLOGINS RACK 1']);
    expect(await c.ask('FSD ups')).toEqual(['OK FSD-SET']);
    expect(aliased.isForcedShutdown('rack')).toBe(true);
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['VAR rack ups.status "FSD OL"']);
  });

  test('an alias of no UPS keeps the server from starting, with the reason', async () => {
    const events: NewUpsEvent[] = [];
    const part = new NutPart({
      config: configOf({ nut_server: { port: 0, aliases: { ups: 'nope' } } }),
      ups: () => [],
      clock: new ManualClock(5),
      log: createLogger({ level: 'silent' }),
      baseDir: process.cwd(),
      recordEvent: (e) => events.push(e),
    });
    await part.start();
    cleanup.push(() => part.stop());
    expect(part.current()).toBeNull();
    expect(part.whyNotRunning()).toMatch(/alias ups: no UPS named nope/);
    expect(events.map((e) => e.type)).toEqual(['NUT_SERVER_FAILED']);
  });
});

describe('per-UPS nut_aliases', () => {
  const two = (a: object, b: object = {}) => [
    { name: 'rack', source: { kind: 'sim' }, ...a },
    { name: 'desk', source: { kind: 'sim' }, ...b },
  ];
  const problems = (extra: object): string => {
    try {
      validateConfig({ ...base, ...extra }, 'test', process.cwd(), {});
      return '';
    } catch (e) {
      return String(e);
    }
  };

  test('join the server-wide aliases; a config without them is read as before', () => {
    const config = configOf({ ups: two({ nut_aliases: ['ups', 'Main'] }), nut_server: { aliases: { nas: 'desk' } } });
    expect(nutAliases(config)).toEqual({ nas: 'desk', ups: 'rack', Main: 'rack' });
    expect(configOf({}).ups[0]!.nut_aliases).toEqual([]);
  });

  test('a name used twice, in any case, is refused naming both owners', () => {
    expect(problems({ ups: two({ nut_aliases: ['DESK'] }) })).toContain(
      'NUT alias DESK of UPS rack clashes with the UPS name desk',
    );
    expect(problems({ ups: two({ nut_aliases: ['ups'] }, { nut_aliases: ['UPS'] }) })).toContain(
      'NUT alias UPS of UPS desk clashes with the nut_aliases entry ups of UPS rack',
    );
    expect(problems({ ups: two({ nut_aliases: ['ups'] }), nut_server: { aliases: { ups: 'desk' } } })).toContain(
      'NUT alias ups (for UPS desk) clashes with the nut_aliases entry ups of UPS rack',
    );
    expect(problems({ ups: two({ nut_aliases: ['bad name'] }) })).toContain('a NUT UPS name such as ups');
    // The old spelling of the same thing (an alias that is its UPS's own name) still loads.
    expect(problems({ ups: two({}), nut_server: { aliases: { rack: 'rack' } } })).toBe('');
  });
});

describeWithPeers({ 'NUT 2.8 clients as root': haveNut })('nut_aliases with a real upsc', () => {
  test('upsc reads the UPS under its per-UPS alias and its server-wide one; upsc -l lists only the UPS', async () => {
    const app = await startSimApp({
      clock: new ManualClock(Date.now()),
      extra: {
        ups: [
          {
            name: 'rack',
            nut_aliases: ['ups'],
            source: { kind: 'sim', device: 'eaton-3s-700', scenario: 'steady' },
          },
        ],
        nut_server: { port: 0, aliases: { nas: 'rack' } },
      },
    });
    cleanup.push(async () => {
      await app.stop();
    });
    const port = app.nutServer()!.address()!.port;
    const model = (await run('upsc', [`rack@127.0.0.1:${port}`, 'ups.model'])).stdout;
    expect(model).not.toBe('');
    expect((await run('upsc', [`ups@127.0.0.1:${port}`, 'ups.model'])).stdout).toBe(model);
    expect((await run('upsc', [`NAS@127.0.0.1:${port}`, 'ups.model'])).stdout).toBe(model);
    expect((await run('upsc', [`ups@127.0.0.1:${port}`, 'outlet.desc'])).stdout).toBe('Main Outlet\n');
    expect((await run('upsc', ['-l', `127.0.0.1:${port}`])).stdout).toBe('rack\n');
    const unknown = await run('upsc', [`other@127.0.0.1:${port}`, 'ups.model']);
    expect(unknown.stderr).toContain('Unknown UPS');
  });
});

describe('a NUT port that is taken', () => {
  test('is a NUT_SERVER_FAILED event and a failed state naming the port, and the part survives', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as { port: number }).port;
    const events: NewUpsEvent[] = [];
    const part = new NutPart({
      config: configOf({ nut_server: { port } }),
      ups: () => [],
      clock: new ManualClock(7),
      log: createLogger({ level: 'silent' }),
      baseDir: process.cwd(),
      recordEvent: (e) => events.push(e),
    });
    await part.start();
    cleanup.push(() => part.stop());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'NUT_SERVER_FAILED', at: 7, ups: '' });
    expect(events[0]!.message).toContain(`127.0.0.1:${port}`);
    expect(events[0]!.message).toContain('the port is in use');
    const state = nutState(part.current(), part.whyNotRunning());
    expect(state).toMatchObject({ state: 'failed', host: null, port: null });
    expect(state.reason).toContain('the port is in use');
  });
});

describe('the demo NUT users', () => {
  test('a Synology-style secondary and a primary, named in the start-up line with the UPS and its alias', () => {
    const config = validateConfig({ ...demoConfig, store: { path: ':memory:' } }, 'demo', process.cwd(), {}).config;
    expect(config.users.map((u) => [u.name, u.upsmon, u.role])).toEqual([
      ['monuser', 'secondary', undefined],
      ['upsprimary', 'primary', undefined],
    ]);
    expect(config.nut_server.aliases).toEqual({ ups: 'demo' });
    expect(demoNutLine(config, { host: '127.0.0.1', port: 3493 })).toBe(
      'upsguard: demo NUT server at 127.0.0.1:3493, UPS demo or ups; users monuser / secret (secondary), ' +
        'upsprimary / demo-primary (primary)',
    );
    expect(demoNutLine(config, null)).toBeNull();
  });
});
