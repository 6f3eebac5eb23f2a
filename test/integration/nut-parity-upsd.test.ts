// Debian's upsd 2.8 (dummy-ups replaying the Eaton 5E dump) and upsguard's NUT server (the simulated Eaton 3S) side
// by side: the same requests, in any case, get the same replies (values aside), in upsd's check order. Then a real
// upsmon logs in with the right password after a burst of wrong ones from its address and counts in NUMLOGINS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { createLogger } from '../../src/log.js';
import { NutServer } from '../../src/ups/nut/nut-server.js';
import { systemClock } from '../../src/util/clock.js';
import { startSimApp } from '../helpers/demo-app.js';
import { stoppedAfterEach } from '../helpers/nut-clients-stopped.js';
import { haveNut, startUpsd, startUpsmon, type Upsd } from '../helpers/nut-peers.js';
import { describeWithPeers } from '../helpers/peers.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { simulatedServedUps } from '../ups/nut/parity-rig.js';
import { DEFAULT_SETTINGS, LineClient } from '../ups/nut/server-harness.js';

const EATON_DUMP = readFileSync(
  join(import.meta.dirname, '../fixtures/nut/Eaton__5E1100iUSB__usbhid-ups__2.7.1__01.dev'),
  'utf8',
);

/** upsd.users of the peer helper, as upsguard users. */
const USERS = [
  { name: 'monuser', password: 'monpass', upsmon: 'secondary' as const, actions: [], instcmds: [] },
  { name: 'monprimary', password: 'primpass', upsmon: 'primary' as const, actions: [], instcmds: [] },
  { name: 'admin', password: 'adminpass', actions: ['SET' as const, 'FSD' as const], instcmds: ['ALL'] },
];

/** Requests whose replies must match upsd's once quoted values are masked (the two UPSes are different models). */
const SCRIPT = [
  'GET VAR DEMO UPS.STATUS',
  'GET VAR demo Ups.Status',
  'GET VAR demo no.such.var',
  'GET VAR nosuch ups.status',
  'GET TYPE DEMO NO.SUCH',
  'GET NUMLOGINS Demo',
  'GET UPSDESC DEMO',
  'GET DESC demo UPS.STATUS',
  'GET CMDDESC DEMO BEEPER.ON',
  'LIST CLIENT dEmo',
  'INSTCMD demo load.off',
  // mge-hid's outlet variables: both serve them (the 3S from its descriptor, upsd from the 5E's dump).
  'GET VAR demo OUTLET.DESC',
  'GET VAR demo outlet.1.status',
  'GET DESC demo outlet.1.status',
  'USERNAME monuser',
  'PASSWORD monpass',
  // upsd: the command list first (any case), then the user's rights.
  'INSTCMD demo no.such.cmd',
  'INSTCMD DEMO LOAD.OFF',
  // upsd: the user's SET right before the variable is looked up.
  'SET VAR demo no.such.var 1',
  'LOGIN DEMO',
  'GET NUMLOGINS demo',
  'LIST CLIENT DEMO',
  'LOGOUT',
];

const mask = (line: string): string => line.replace(/"(?:[^"\\]|\\.)*"/g, '"…"');

async function replies(port: number): Promise<string[]> {
  const c = await LineClient.open(port);
  const out: string[] = [];
  try {
    for (const line of SCRIPT) out.push(...(await c.ask(line)).map(mask));
  } finally {
    c.end();
  }
  return out;
}

describeWithPeers({ 'NUT 2.8 (upsd, dummy-ups, upsmon) as root': haveNut })('NUT parity with a real upsd', () => {
  const dir = tempDir();
  const running = stoppedAfterEach();
  let upsd: Upsd | undefined;
  let ours: NutServer | undefined;
  let stopSim: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await ours?.stop();
    await stopSim?.();
    await upsd?.stop();
    ours = undefined;
    stopSim = undefined;
    upsd = undefined;
  });

  test('the same requests in any case get upsd 2.8 replies, in its check order', async () => {
    upsd = await startUpsd(dir, [{ name: 'demo', desc: 'Eaton 5E', file: 'eaton.dev', text: EATON_DUMP }]);
    const sim = await simulatedServedUps('eaton-3s-700', 'demo');
    stopSim = sim.stop;
    ours = new NutServer({
      settings: DEFAULT_SETTINGS,
      users: USERS,
      ups: [{ ...sim.ups, description: 'Eaton 3S' }],
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      version: 'test',
    });
    await ours.start();
    const theirs = await replies(upsd.port);
    const mine = await replies(ours.address()!.port);
    expect(mine).toEqual(theirs);
    // And what upsd answered, so the comparison cannot pass on two empty lists.
    expect(theirs).toContain('VAR DEMO UPS.STATUS "…"');
    expect(theirs).toContain('ERR CMD-NOT-SUPPORTED');
    expect(theirs).toContain('ERR ACCESS-DENIED');
    expect(theirs).toContain('NUMLOGINS demo 1');
    expect(theirs).toContain('VAR demo OUTLET.DESC "…"');
    expect(theirs).toContain('VAR demo outlet.1.status "…"');
  }, 30_000);

  test('wrong passwords from upsmon’s address slow it down but its right one logs in and counts', async () => {
    const app = (running.app = await startSimApp({
      extra: {
        nut_server: { port: 0, login_failures: 2, login_delay_max_s: 1 },
        users: [{ name: 'monuser', password: 'monpass1', upsmon: 'secondary' }],
      },
    }));
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    for (let i = 0; i < 6; i++) {
      const c = await LineClient.open(port);
      await c.ask('USERNAME monuser');
      await c.ask('PASSWORD guess-' + String(i));
      expect(await c.ask('LOGIN sim1')).toEqual(['ERR ACCESS-DENIED']);
      c.end();
    }
    running.upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monuser monpass1 secondary`, {
      pollFreq: 1,
      pollFreqAlert: 1,
    });
    await until('upsmon to log in', () => (nut.numLogins('sim1') === 1 ? true : undefined), 15_000);
    expect(nut.clients('sim1').map((c) => c.user)).toEqual(['monuser']);
  }, 40_000);
});
