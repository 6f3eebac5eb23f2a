// A real NUT 2.8 upsmon following upsguard's NUT server: as a secondary it shuts down when we set FSD and we see it
// log out; as a primary it gets PRIMARY, sets FSD itself and waits on GET NUMLOGINS for the other clients.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { NutConnection } from '../../src/ups/nut/nut-connection.js';
import { waitForSecondaries } from '../../src/ups/nut/secondaries.js';
import { systemClock } from '../../src/util/clock.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers, webLogin } from '../helpers/web-login.js';
import { stoppedAfterEach } from '../helpers/nut-clients-stopped.js';
import { haveNut, startUpsmon } from '../helpers/nut-peers.js';
import { sleep, until } from '../helpers/until.js';
import { tempDir } from '../helpers/tmp.js';
import { describeWithPeers } from '../helpers/peers.js';

const users = [
  { name: 'monuser', password: 'monpass1', upsmon: 'secondary' as const },
  { name: 'monprimary', password: 'primpass1', upsmon: 'primary' as const },
];

describeWithPeers({ 'NUT 2.8 (upsd, upsmon) as root': haveNut })('real upsmon against our server', () => {
  const dir = tempDir();
  const running = stoppedAfterEach();

  test('a secondary runs SHUTDOWNCMD when FSD is set, and its logout is seen', async () => {
    mkdirSync(dir, { recursive: true });
    const app = (running.app = await startSimApp({ extra: { nut_server: { port: 0 }, users } }));
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    const upsmon = (running.upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monuser monpass1 secondary`, {
      pollFreq: 1,
      pollFreqAlert: 1,
    }));
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
    await until('SHUTDOWNCMD', () => upsmon.shutdownFired() || undefined, 5000);
    expect(upsmon.notifications()).toMatch(/ FSD sim1@127\.0\.0\.1:\d+ /);
    expect(nut.numLogins('sim1')).toBe(0);
  }, 40_000);

  test('a nut-secondaries phase raises FSD, waits for the secondary to log out, and the run says who and when', async () => {
    mkdirSync(dir, { recursive: true });
    const app = (running.app = await startSimApp({
      device: 'cyberpower-cp1500pfclcd',
      extra: {
        nut_server: { port: 0 },
        users: [...users, ...testUsers()],
        schedule: { dry_run: '' },
        shutdown: {
          sim_cluster: {
            time_scale: 100,
            hosts: [{ name: 'pve1', ups: 'sim1', halt_s: 1, vms: [{ name: 'upsguard', shutdown_s: 1 }] }],
          },
          plan: {
            name: 'lab',
            self_vm: 'upsguard',
            ups_host: 'pve1',
            off_delay_s: 60,
            on_delay_s: 120,
            delay_unit_s: 60,
            phases: [
              { name: 'nas', targets: [{ driver: 'nut-secondaries', names: ['secondaries-of-sim1'] }], timeout_s: 15 },
              { name: 'hosts', targets: [{ names: ['pve1'] }, { names: ['upsguard'] }], timeout_s: 5 },
            ],
          },
          poll_interval_ms: 200,
          default_estimate_s: { vm: 1, host: 2 },
        },
      },
    }));
    const nut = app.nutServer()!;
    const upsmon = (running.upsmon = await startUpsmon(
      dir,
      `sim1@127.0.0.1:${nut.address()!.port} 1 monuser monpass1 secondary`,
      {
        pollFreq: 1,
        pollFreqAlert: 1,
      },
    ));
    await until('upsmon to log in', () => (nut.numLogins('sim1') === 1 ? true : undefined));
    expect((await app.shutdown()!.refreshPlan()).problems).toEqual([]);
    // The whole plan for real: an admin's test (an operator tests a subset).
    const { headers } = await webLogin(app.server(), 'admin');
    const started = await app
      .server()
      .inject({ method: 'POST', url: '/api/shutdown/test', payload: { mode: 'real', confirm: 'lab' }, headers });
    expect(started.statusCode, started.body).toBe(202);
    const runId = started.json<{ runId: number }>().runId;
    type Step = { phase: string; target: string; action: string; result: string | null; detail: string | null };
    const steps = await until(
      'the run to finish',
      async () => {
        const r = (await app.server().inject({ url: `/api/runs/${runId}`, headers })).json<{
          run: { status: string };
          steps: Step[];
        }>();
        return r.run.status === 'running' ? undefined : r.steps;
      },
      30_000,
    );
    const nas = steps.filter((x) => x.target === 'secondaries-of-sim1');
    expect(nas.map((x) => x.action)).toContain('graceful');
    expect(nas.find((x) => x.action === 'read' && x.detail?.startsWith('logged out:'))?.detail).toMatch(
      /^logged out: monuser@127\.0\.0\.1 at \d\d:\d\d:\d\d \(.+\); still logged in: none$/,
    );
    expect(nas.at(-1)).toMatchObject({ action: 'wait', result: 'ok', detail: 'final:off' });
    // The hosts' phase came after the secondaries had gone.
    expect(steps.findIndex((x) => x.target === 'pve1')).toBeGreaterThan(
      steps.findIndex((x) => x.detail === 'final:off'),
    );
    await until('SHUTDOWNCMD', () => upsmon.shutdownFired() || undefined, 5000);
  }, 60_000);

  test('a primary is granted PRIMARY, sets FSD on OB LB and waits on NUMLOGINS for the others', async () => {
    // The simulated UPS loses mains after 2 s and, at this time scale, runs into low battery within a second.
    mkdirSync(dir, { recursive: true }); // tempDir() empties it after every test
    const scenario = join(dir, 'outage.txt');
    writeFileSync(scenario, '0 mains on\n0 load 60\n20000 mains off\n');
    const app = (running.app = await startSimApp({
      scenario,
      timeScale: 10_000,
      extra: { nut_server: { port: 0 }, users, monitor: { quick_interval_s: 0.5 } },
    }));
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    const fsdBy: string[] = [];
    nut.events.on('fsd', (_ups, by) => fsdBy.push(by));

    // Another follower, logged in before the primary: the primary must wait for it.
    const other = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 3000, starttls: 'off' });
    await other.request('USERNAME monuser');
    await other.request('PASSWORD monpass1');
    await other.request('LOGIN sim1');

    const upsmon = (running.upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monprimary primpass1 primary`, {
      pollFreq: 1,
      pollFreqAlert: 1,
      hostSync: 20,
    }));
    await until('both logged in', () => (nut.numLogins('sim1') === 2 ? true : undefined));
    await until('the primary to set FSD', () => (nut.isForcedShutdown('sim1') ? true : undefined), 20_000);
    expect(fsdBy).toEqual(['monprimary@127.0.0.1']);
    expect(app.monitors()[0]!.snapshot().status).toEqual(expect.arrayContaining(['OB', 'LB']));

    // Still waiting for the other follower (NUMLOGINS 2 > 1): no SHUTDOWNCMD yet. Something not happening is shown
    // over a bounded time: upsmon checks NUMLOGINS every 250 ms, and without the wait it would run SHUTDOWNCMD
    // straight after setting FSD.
    await sleep(1000);
    expect(upsmon.shutdownFired()).toBe(false);
    const releasedAt = Date.now();
    await other.request('LOGOUT');
    other.close();
    await until('SHUTDOWNCMD', () => upsmon.shutdownFired() || undefined, 10_000);
    expect(Date.now() - releasedAt).toBeLessThan(5000);
    expect(upsmon.log()).not.toMatch(/ACCESS-DENIED|failed/i);
    expect(upsmon.notifications()).toMatch(/ LOWBATT sim1@/);
  }, 60_000);
});
