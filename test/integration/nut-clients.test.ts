// Real NUT 2.8 clients (upsc, upscmd, upsrw) against upsguard's NUT server over a simulated CyberPower UPS.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { usbhidDriverVariables } from '../../src/ups/hid-ups-reader.js';
import { NutConnection } from '../../src/ups/nut/nut-connection.js';
import { ManualClock } from '../../src/util/clock.js';
import { startSimApp } from '../helpers/demo-app.js';
import { haveNut, run } from '../helpers/nut-peers.js';
import { until } from '../helpers/until.js';
import { describeWithPeers } from '../helpers/peers.js';

describeWithPeers({ 'NUT 2.8 clients as root': haveNut })('real NUT clients against our server', () => {
  let app: App;
  let port = 0;
  let target = '';
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    // A manual clock holds the simulated UPS still, so every client sees the same values.
    app = await startSimApp({
      clock,
      extra: {
        ups: [
          {
            name: 'rack',
            description: 'CyberPower in the rack',
            source: { kind: 'sim', device: 'cyberpower-cp1500pfclcd', scenario: 'steady' },
          },
        ],
        nut_server: { port: 0 },
        users: [
          { name: 'admin', password: 'adminpass', actions: ['SET', 'FSD'], instcmds: ['beeper.mute'] },
          { name: 'monuser', password: 'monpass1', upsmon: 'secondary' },
        ],
      },
    });
    port = app.nutServer()!.address()!.port;
    target = `rack@127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app.stop();
  });

  const expectedVars = (): Map<string, string> => {
    const s = app.monitors()[0]!.snapshot();
    // The server adds driver.* as usbhid-ups 2.8.0 publishes them for this (CyberPower) device.
    const vars: Record<string, string> = {
      ...usbhidDriverVariables('CyberPower HID 0.6'),
      ...s.variables,
      'ups.status': s.status.join(' '),
    };
    return new Map(
      Object.keys(vars)
        .sort()
        .map((k) => [k, vars[k]!]),
    );
  };

  test('upsc lists every variable of the snapshot, exactly', async () => {
    const r = await run('upsc', [target]);
    expect(r.code).toBe(0);
    const want = [...expectedVars()].map(([k, v]) => `${k}: ${v}`).join('\n');
    expect(r.stdout).toBe(`${want}\n`);
    expect(r.stdout).toContain('device.model: CP1500PFCLCD\n');
    expect(r.stdout).toContain('ups.status: OL\n');
  });

  test('upsc for one variable, and an unknown one', async () => {
    expect((await run('upsc', [target, 'battery.charge'])).stdout).toBe(`${expectedVars().get('battery.charge')}\n`);
    const r = await run('upsc', [target, 'no.such.var']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Variable not supported by UPS');
  });

  test('upsc -l and -L name our UPS', async () => {
    expect((await run('upsc', ['-l', `127.0.0.1:${port}`])).stdout).toBe('rack\n');
    expect((await run('upsc', ['-L', `127.0.0.1:${port}`])).stdout).toBe('rack: CyberPower in the rack\n');
  });

  test('upsc -c shows a logged-in client, and nothing once it has gone', async () => {
    expect((await run('upsc', ['-c', target])).stdout).toBe('');
    const c = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 3000, starttls: 'off' });
    await c.request('USERNAME monuser');
    await c.request('PASSWORD monpass1');
    expect(await c.request('LOGIN rack')).toBe('OK');
    expect((await run('upsc', ['-c', target])).stdout).toBe('127.0.0.1\n');
    expect(app.nutServer()!.numLogins('rack')).toBe(1);
    expect(await c.request('LOGOUT')).toBe('OK Goodbye');
    c.close();
    expect((await run('upsc', ['-c', target])).stdout).toBe('');
    expect(
      app
        .nutServer()!
        .logouts('rack')
        .map((l) => [l.user, l.reason]),
    ).toEqual([['monuser', 'LOGOUT']]);
  });

  test('upscmd -l lists the commands the UPS supports, with NUT descriptions', async () => {
    const r = await run('upscmd', ['-l', target]);
    // Every command usbhid-ups offers for the CP1500's fields (docs/nut-parity.md).
    const cmds = [
      'beeper.disable',
      'beeper.enable',
      'beeper.mute',
      'beeper.off',
      'beeper.on',
      'load.off',
      'load.off.delay',
      'load.on',
      'load.on.delay',
      'shutdown.return',
      'shutdown.stayoff',
      'shutdown.stop',
      'test.battery.start.deep',
      'test.battery.start.quick',
      'test.battery.stop',
    ];
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['Instant commands supported on UPS [rack]:', '']);
    expect(r.stdout).toContain('beeper.mute - Temporarily mute the UPS beeper\n');
    expect(r.stdout).toContain('shutdown.return - Turn off the load and return when power is back\n');
    expect(
      r.stdout
        .trim()
        .split('\n')
        .slice(2)
        .map((l) => l.split(' - ')[0]),
    ).toEqual(cmds);
  });

  test('upscmd runs an allowed command on the UPS and is refused one it may not run', async () => {
    const ok = await run('upscmd', ['-u', 'admin', '-p', 'adminpass', target, 'beeper.mute']);
    expect(ok.stderr.trim()).toBe('OK');
    // The command reached the device: the next full read shows the beeper muted.
    const monitor = app.monitors()[0]!;
    const before = monitor.snapshot().at;
    clock.advance(30_000);
    await until('a fresh reading', () => (monitor.snapshot().at > before ? true : undefined));
    expect(monitor.snapshot().variables['ups.beeper.status']).toBe('muted');
    const denied = await run('upscmd', ['-u', 'admin', '-p', 'adminpass', target, 'shutdown.return']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('ERR ACCESS-DENIED');
    expect(monitor.snapshot().variables['ups.timer.shutdown']).toBe('-60');
  });

  test('upsrw lists the writable delays, sets one, and refuses bad values and users', async () => {
    const list = await run('upsrw', [target]);
    const v = expectedVars();
    // The descriptor's writable settings with their RANGE (sorted, as upsd lists them), then the driver-side delays.
    expect(list.stdout).toBe(
      `[battery.runtime.low]\nRemaining battery runtime when UPS switches to LB (seconds)\nType: RANGE NUMBER\nOption: "0-600" SELECTED\n\n` +
        `[input.transfer.high]\nHigh voltage transfer point (V)\nType: RANGE NUMBER\nOption: "136-142" SELECTED\n\n` +
        `[input.transfer.low]\nLow voltage transfer point (V)\nType: RANGE NUMBER\nOption: "78-88" SELECTED\n\n` +
        `[ups.delay.shutdown]\nInterval to wait after shutdown with delay command (seconds)\nType: STRING\nMaximum length: 10\nValue: ${v.get('ups.delay.shutdown')}\n\n` +
        `[ups.delay.start]\nInterval to wait before (re)starting the load (seconds)\nType: STRING\nMaximum length: 10\nValue: ${v.get('ups.delay.start')}\n\n`,
    );
    const set = await run('upsrw', ['-s', 'ups.delay.shutdown=45', '-u', 'admin', '-p', 'adminpass', target]);
    expect(set.stderr.trim()).toBe('OK');
    expect((await run('upsc', [target, 'ups.delay.shutdown'])).stdout).toBe('45\n');
    const bad = await run('upsrw', ['-s', 'ups.delay.shutdown=soon', '-u', 'admin', '-p', 'adminpass', target]);
    expect(bad.stderr).toContain('ERR INVALID-VALUE');
    const ro = await run('upsrw', ['-s', 'battery.charge=5', '-u', 'admin', '-p', 'adminpass', target]);
    expect(ro.stderr).toContain('ERR READONLY');
    const who = await run('upsrw', ['-s', 'ups.delay.shutdown=5', '-u', 'monuser', '-p', 'monpass1', target]);
    expect(who.stderr).toContain('ERR ACCESS-DENIED');
    expect((await run('upsc', [target, 'ups.delay.shutdown'])).stdout).toBe('45\n');
  });
});
