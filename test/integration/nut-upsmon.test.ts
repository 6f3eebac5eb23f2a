// A real NUT 2.8 upsmon following upsguard's NUT server: as a secondary it shuts down when we set FSD and we see it
// log out; as a primary it gets PRIMARY, sets FSD itself and waits on GET NUMLOGINS for the other clients.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { NutConnection } from '../../src/ups/nut/nut-connection.js';
import { waitForSecondaries } from '../../src/ups/nut/secondaries.js';
import { systemClock } from '../../src/util/clock.js';
import { startSimApp } from '../helpers/demo-app.js';
import { haveNut, startUpsmon, until, type Upsmon } from '../helpers/nut-peers.js';
import { tempDir } from '../helpers/tmp.js';

const users = [
  { name: 'monuser', password: 'monpass1', upsmon: 'secondary' as const },
  { name: 'monprimary', password: 'primpass1', upsmon: 'primary' as const },
];

describe.skipIf(!haveNut)('real upsmon against our server', () => {
  const dir = tempDir();
  let app: App | undefined;
  let upsmon: Upsmon | undefined;
  afterEach(async () => {
    await upsmon?.stop();
    await app?.stop();
    upsmon = undefined;
    app = undefined;
  });

  test('a secondary runs SHUTDOWNCMD when FSD is set, and its logout is seen', async () => {
    mkdirSync(dir, { recursive: true });
    app = await startSimApp({ extra: { nut_server: { port: 0 }, users } });
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monuser monpass1 secondary`, {
      pollFreq: 1,
      pollFreqAlert: 1,
    });
    await until('upsmon to log in', () => (nut.numLogins('sim1') === 1 ? true : undefined));
    expect(nut.clients('sim1').map((c) => [c.user, c.address])).toEqual([['monuser', '127.0.0.1']]);
    expect(upsmon.shutdownFired()).toBe(false);

    const fsdAt = Date.now();
    nut.setForcedShutdown('sim1');
    const result = await waitForSecondaries(nut, 'sim1', { timeoutMs: 15_000, clock: systemClock });

    expect(result.outcome).toBe('all-logged-out');
    expect(result.loggedOut.map((l) => l.user)).toEqual(['monuser']);
    expect(result.loggedOut[0]!.loggedOutAt).toBeGreaterThanOrEqual(fsdAt);
    expect(result.remaining).toEqual([]);
    await until('SHUTDOWNCMD', () => upsmon!.shutdownFired() || undefined, 5000);
    expect(upsmon.notifications()).toMatch(/ FSD sim1@127\.0\.0\.1:\d+ /);
    expect(nut.numLogins('sim1')).toBe(0);
  }, 40_000);

  test('a primary is granted PRIMARY, sets FSD on OB LB and waits on NUMLOGINS for the others', async () => {
    // The simulated UPS loses mains after 2 s and, at this time scale, runs into low battery within a second.
    mkdirSync(dir, { recursive: true }); // tempDir() empties it after every test
    const scenario = join(dir, 'outage.txt');
    writeFileSync(scenario, '0 mains on\n0 load 60\n20000 mains off\n');
    app = await startSimApp({
      scenario,
      timeScale: 10_000,
      extra: { nut_server: { port: 0 }, users, monitor: { quick_interval_s: 0.5 } },
    });
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    const fsdBy: string[] = [];
    nut.events.on('fsd', (_ups, by) => fsdBy.push(by));

    // Another follower, logged in before the primary: the primary must wait for it.
    const other = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 3000, starttls: 'off' });
    await other.request('USERNAME monuser');
    await other.request('PASSWORD monpass1');
    await other.request('LOGIN sim1');

    upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monprimary primpass1 primary`, {
      pollFreq: 1,
      pollFreqAlert: 1,
      hostSync: 20,
    });
    await until('both logged in', () => (nut.numLogins('sim1') === 2 ? true : undefined));
    await until('the primary to set FSD', () => (nut.isForcedShutdown('sim1') ? true : undefined), 20_000);
    expect(fsdBy).toEqual(['monprimary@127.0.0.1']);
    expect(app.monitors()[0]!.snapshot().status).toEqual(expect.arrayContaining(['OB', 'LB']));

    // Still waiting for the other follower (NUMLOGINS 2 > 1): no SHUTDOWNCMD yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect(upsmon.shutdownFired()).toBe(false);
    const releasedAt = Date.now();
    await other.request('LOGOUT');
    other.close();
    await until('SHUTDOWNCMD', () => upsmon!.shutdownFired() || undefined, 10_000);
    expect(Date.now() - releasedAt).toBeLessThan(5000);
    expect(upsmon.log()).not.toMatch(/ACCESS-DENIED|failed/i);
    expect(upsmon.notifications()).toMatch(/ LOWBATT sim1@/);
  }, 60_000);
});
