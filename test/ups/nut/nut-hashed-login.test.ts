import { mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { NutServer } from '../../../src/ups/nut/nut-server.js';
import { ManualClock } from '../../../src/util/clock.js';
import { hashPassword } from '../../../src/web/auth/password-hash.js';
import { startSimApp } from '../../helpers/demo-app.js';
import { stoppedAfterEach } from '../../helpers/nut-clients-stopped.js';
import { haveNut, run, startUpsmon } from '../../helpers/nut-peers.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { DEFAULT_SETTINGS, FakeUps, LineClient } from './server-harness.js';

// A NUT user whose password is only a scrypt hash in the config (as `upsguard user add` writes it) logs in to the
// NUT server like a plain-password one.

let monHash = '';
let adminHash = '';
beforeAll(async () => {
  [monHash, adminHash] = await Promise.all([hashPassword('hashed-mon-pw'), hashPassword('hashed-admin-pw')]);
});

describe('NUT server: a user with a password hash', () => {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  test('LOGIN with the right password; the wrong one and unknown names refused; nothing secret logged', async () => {
    const logs: string[] = [];
    const server = new NutServer({
      settings: { ...DEFAULT_SETTINGS, loginFailures: 10 },
      users: [
        { name: 'hashmon', passwordHash: monHash, upsmon: 'secondary', actions: [], instcmds: [] },
        { name: 'plain', password: 'plainpass', upsmon: 'secondary', actions: [], instcmds: [] },
        { name: 'hashadm', passwordHash: adminHash, actions: ['FSD'], instcmds: ['beeper.mute'] },
      ],
      ups: [new FakeUps()],
      clock: new ManualClock(1_000_000),
      log: createLogger({
        level: 'debug',
        destination: new Writable({
          write(chunk: Buffer, _e, done) {
            logs.push(chunk.toString());
            done();
          },
        }),
      }),
      version: '9.9.9',
    });
    await server.start();
    closers.push(() => server.stop());
    const port = server.address()!.port;
    const session = async (user: string, password: string): Promise<LineClient> => {
      const c = await LineClient.open(port);
      closers.push(() => c.end());
      expect(await c.ask(`USERNAME ${user}`)).toEqual(['OK']);
      expect(await c.ask(`PASSWORD ${password}`)).toEqual(['OK']);
      return c;
    };

    const ok = await session('hashmon', 'hashed-mon-pw');
    expect(await ok.ask('LOGIN rack')).toEqual(['OK']);
    expect(server.clients('rack').map((l) => l.user)).toEqual(['hashmon']);
    // The same password again (upsmon sends it before each command) and the plain user go on working.
    expect(await (await session('hashmon', 'hashed-mon-pw')).ask('LOGIN rack')).toEqual(['OK']);
    expect(await (await session('plain', 'plainpass')).ask('LOGIN rack')).toEqual(['OK']);

    expect(await (await session('hashmon', 'hashed-mon-pw2')).ask('LOGIN rack')).toEqual(['ERR ACCESS-DENIED']);
    expect(await (await session('hashmon', monHash)).ask('LOGIN rack')).toEqual(['ERR ACCESS-DENIED']);
    expect(await (await session('nobody', 'hashed-mon-pw')).ask('LOGIN rack')).toEqual(['ERR ACCESS-DENIED']);

    // Rights are the user's NUT rights, checked after the hash: FSD and a granted INSTCMD, not LOGIN.
    const adm = await session('hashadm', 'hashed-admin-pw');
    expect(await adm.ask('INSTCMD rack beeper.mute')).toEqual(['OK']);
    expect(await adm.ask('FSD rack')).toEqual(['OK FSD-SET']);
    expect(await adm.ask('LOGIN rack')).toEqual(['ERR ACCESS-DENIED']);

    const text = logs.join('');
    expect(text.match(/NUT login failed/g)).toHaveLength(3);
    for (const secret of ['hashed-mon-pw', 'hashed-admin-pw', 'plainpass', 'scrypt$'])
      expect(text).not.toContain(secret);
  }, 60_000);
});

describeWithPeers({ 'NUT 2.8 (upsmon, upscmd) as root': haveNut })('real NUT clients, hashed passwords', () => {
  const dir = tempDir();
  const running = stoppedAfterEach();

  test('upsmon logs in and upscmd runs a command with users whose config holds only password_hash', async () => {
    mkdirSync(dir, { recursive: true });
    const app = (running.app = await startSimApp({
      device: 'cyberpower-cp1500pfclcd',
      extra: {
        nut_server: { port: 0 },
        users: [
          { name: 'monuser', password_hash: monHash, upsmon: 'secondary' },
          { name: 'admin', password_hash: adminHash, role: 'admin', instcmds: ['beeper.mute'] },
        ],
      },
    }));
    const nut = app.nutServer()!;
    const port = nut.address()!.port;
    running.upsmon = await startUpsmon(dir, `sim1@127.0.0.1:${port} 1 monuser hashed-mon-pw secondary`, {
      pollFreq: 1,
    });
    await until('upsmon to log in', () => (nut.numLogins('sim1') === 1 ? true : undefined), 20_000);
    expect(nut.clients('sim1').map((c) => c.user)).toEqual(['monuser']);

    const ok = await run('upscmd', ['-u', 'admin', '-p', 'hashed-admin-pw', `sim1@127.0.0.1:${port}`, 'beeper.mute']);
    expect(ok.stderr.trim()).toBe('OK');
    const denied = await run('upscmd', ['-u', 'admin', '-p', 'wrong-pw', `sim1@127.0.0.1:${port}`, 'beeper.mute']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('ERR ACCESS-DENIED');
  }, 60_000);
});
