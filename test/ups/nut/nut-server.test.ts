import net from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NutServer } from '../../../src/ups/nut/nut-server.js';
import { ManualClock } from '../../../src/util/clock.js';
import { until } from '../../helpers/until.js';
import { FakeUps, LineClient, startServer } from './server-harness.js';

describe('NUT server: protocol replies as upsd gives them', () => {
  let clock: ManualClock;
  let ups: FakeUps;
  let server: NutServer;
  let logs: string[];
  let c: LineClient;
  const clients: LineClient[] = [];
  const open = async (p: number): Promise<LineClient> => {
    const cl = await LineClient.open(p);
    clients.push(cl);
    return cl;
  };
  let port = 0;

  beforeEach(async () => {
    clock = new ManualClock(1_000_000);
    ups = new FakeUps();
    ({ server, port, logs } = await startServer(clock, [ups, new FakeUps('other', null)]));
    c = await open(port);
  });
  afterEach(async () => {
    for (const cl of clients.splice(0)) cl.end();
    await server.stop();
  });

  test('versions and help', async () => {
    expect(await c.ask('VER')).toEqual([
      'Network UPS Tools upsd 2.8.0 (upsguard 9.9.9) - https://www.networkupstools.org/',
    ]);
    expect(await c.ask('NETVER')).toEqual(['1.3']);
    expect(await c.ask('protver')).toEqual(['1.3']);
    expect(await c.ask('HELP')).toEqual([
      'Commands: HELP VER PROTVER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS',
    ]);
    expect(await c.ask('GET VAR nope server.version')).toEqual(['VAR nope server.version "2.8.0"']);
  });

  test('GET and LIST, quoted and escaped', async () => {
    expect(await c.ask('LIST UPS')).toEqual([
      'BEGIN LIST UPS',
      'UPS rack "Rack UPS"',
      'UPS other "Description unavailable"',
      'END LIST UPS',
    ]);
    expect(await c.ask('GET UPSDESC other')).toEqual(['UPSDESC other "Unavailable"']);
    expect(await c.ask('get var rack "device.model"')).toEqual(['VAR rack device.model "Back-UPS \\"500\\" \\#1"']);
    expect(await c.ask('GET TYPE rack battery.charge')).toEqual(['TYPE rack battery.charge NUMBER']);
    // usbhid-ups gives type flags only to RW variables; upsd calls the rest NUMBER.
    expect(await c.ask('GET TYPE rack device.model')).toEqual(['TYPE rack device.model NUMBER']);
    expect(await c.ask('GET TYPE rack ups.delay.shutdown')).toEqual(['TYPE rack ups.delay.shutdown RW STRING:10']);
    expect(await c.ask('GET DESC rack outlet.1.status')).toEqual(['DESC rack outlet.1.status "Outlet switch status"']);
    expect(await c.ask('GET DESC rack no.such')).toEqual(['DESC rack no.such "Description unavailable"']);
    expect(await c.ask('GET CMDDESC rack beeper.mute')).toEqual([
      'CMDDESC rack beeper.mute "Temporarily mute the UPS beeper"',
    ]);
    expect(await c.ask('LIST VAR rack')).toEqual([
      'BEGIN LIST VAR rack',
      'VAR rack battery.charge "100"',
      'VAR rack device.model "Back-UPS \\"500\\" \\#1"',
      'VAR rack outlet.1.status "on"',
      'VAR rack ups.delay.shutdown "20"',
      'VAR rack ups.status "OL"',
      'END LIST VAR rack',
    ]);
    expect(await c.ask('LIST RW rack')).toEqual([
      'BEGIN LIST RW rack',
      'RW rack ups.delay.shutdown "20"',
      'END LIST RW rack',
    ]);
    expect(await c.ask('LIST CMD rack')).toEqual([
      'BEGIN LIST CMD rack',
      'CMD rack beeper.mute',
      'CMD rack shutdown.return',
      'END LIST CMD rack',
    ]);
    expect(await c.ask('LIST ENUM rack ups.status')).toEqual([
      'BEGIN LIST ENUM rack ups.status',
      'END LIST ENUM rack ups.status',
    ]);
    expect(await c.ask('LIST RANGE rack ups.status')).toEqual([
      'BEGIN LIST RANGE rack ups.status',
      'END LIST RANGE rack ups.status',
    ]);
    expect(await c.ask('LIST CLIENT rack')).toEqual(['BEGIN LIST CLIENT rack', 'END LIST CLIENT rack']);
    expect(await c.ask('GET NUMLOGINS rack')).toEqual(['NUMLOGINS rack 0']);
  });

  test('error codes for bad requests', async () => {
    const cases: [string, string][] = [
      ['GET', 'ERR INVALID-ARGUMENT'],
      ['GET VAR rack', 'ERR INVALID-ARGUMENT'],
      ['GET FOO rack x', 'ERR INVALID-ARGUMENT'],
      ['GET VAR nope ups.status', 'ERR UNKNOWN-UPS'],
      ['GET VAR rack nope', 'ERR VAR-NOT-SUPPORTED'],
      ['GET TYPE rack nope', 'ERR VAR-NOT-SUPPORTED'],
      ['LIST ENUM rack nope', 'ERR VAR-NOT-SUPPORTED'],
      ['LIST VAR nope', 'ERR UNKNOWN-UPS'],
      ['LIST CLIENT nope', 'ERR UNKNOWN-UPS'],
      ['LIST FOO rack', 'ERR INVALID-ARGUMENT'],
      ['LIST', 'ERR INVALID-ARGUMENT'],
      ['GET UPSDESC nope', 'ERR UNKNOWN-UPS'],
      ['GET NUMLOGINS nope', 'ERR UNKNOWN-UPS'],
      ['FROB', 'ERR UNKNOWN-COMMAND'],
      ['', 'ERR UNKNOWN-COMMAND'],
      ['LOGIN rack', 'ERR USERNAME-REQUIRED'],
      ['INSTCMD', 'ERR USERNAME-REQUIRED'],
      ['USERNAME', 'ERR INVALID-ARGUMENT'],
      ['STARTTLS', 'ERR FEATURE-NOT-CONFIGURED'],
      ['GET TRACKING', 'OFF'],
      ['GET TRACKING 1234', 'ERR FEATURE-NOT-CONFIGURED'],
    ];
    for (const [req, reply] of cases) expect([req, await c.ask(req)]).toEqual([req, [reply]]);
  });

  test('USERNAME/PASSWORD are only stored; rights are checked per command', async () => {
    expect(await c.ask('USERNAME monuser')).toEqual(['OK']);
    expect(await c.ask('USERNAME x')).toEqual(['ERR ALREADY-SET-USERNAME']);
    expect(await c.ask('LOGIN rack')).toEqual(['ERR PASSWORD-REQUIRED']);
    expect(await c.ask('PASSWORD monpass1')).toEqual(['OK']);
    expect(await c.ask('PASSWORD again')).toEqual(['ERR ALREADY-SET-PASSWORD']);
    expect(await c.ask('LOGIN nope')).toEqual(['ERR UNKNOWN-UPS']);
    expect(await c.ask('LOGIN rack')).toEqual(['OK']);
    expect(await c.ask('LOGIN rack')).toEqual(['ERR ALREADY-LOGGED-IN']);
    expect(await c.ask('PRIMARY rack')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('FSD rack')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('SET VAR rack ups.delay.shutdown 30')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('INSTCMD rack beeper.mute')).toEqual(['ERR ACCESS-DENIED']);
    expect(await c.ask('GET NUMLOGINS rack')).toEqual(['NUMLOGINS rack 1']);
    expect(await c.ask('LIST CLIENT rack')).toEqual([
      'BEGIN LIST CLIENT rack',
      'CLIENT rack 127.0.0.1',
      'END LIST CLIENT rack',
    ]);
    expect(server.clients('rack')).toEqual([
      { ups: 'rack', user: 'monuser', address: '127.0.0.1', loggedInAt: 1_000_000 },
    ]);
    clock.advance(5000);
    expect(await c.ask('LOGOUT')).toEqual(['OK Goodbye']);
    expect(await c.waitClosed()).toBe(true);
    expect(server.numLogins('rack')).toBe(0);
    expect(server.logouts('rack')).toEqual([
      {
        ups: 'rack',
        user: 'monuser',
        address: '127.0.0.1',
        loggedInAt: 1_000_000,
        loggedOutAt: 1_005_000,
        reason: 'LOGOUT',
      },
    ]);
  });

  test('a primary: PRIMARY, MASTER, FSD latches "FSD" in front of ups.status everywhere', async () => {
    await c.ask('USERNAME primary');
    await c.ask('PASSWORD primpass1');
    expect(await c.ask('PRIMARY rack')).toEqual(['OK PRIMARY-GRANTED']);
    expect(await c.ask('MASTER rack')).toEqual(['OK MASTER-GRANTED']);
    expect(await c.ask('FSD nope')).toEqual(['ERR UNKNOWN-UPS']);
    expect(await c.ask('FSD rack')).toEqual(['OK FSD-SET']);
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['VAR rack ups.status "FSD OL"']);
    expect((await c.ask('LIST VAR rack')).filter((l) => l.includes('ups.status'))).toEqual([
      'VAR rack ups.status "FSD OL"',
    ]);
    expect(server.isForcedShutdown('rack')).toBe(true);
    expect(server.isForcedShutdown('other')).toBe(false);
  });

  test('setForcedShutdown from upsguard itself; unknown UPS is a typed error', async () => {
    const seen: string[] = [];
    server.events.on('fsd', (u, by) => seen.push(`${u} ${by}`));
    server.setForcedShutdown('other', 'shutdown run 7');
    server.setForcedShutdown('other');
    expect(seen).toEqual(['other shutdown run 7']);
    expect(() => server.setForcedShutdown('nope')).toThrow(/no NUT UPS named "nope"/);
    ups.current = {
      ...ups.current,
      status: ['OB', 'LB'],
      variables: { ...ups.current.variables, 'ups.status': 'OB LB' },
    };
    expect(await c.ask('GET VAR other ups.status')).toEqual(['VAR other ups.status "FSD OL"']);
  });

  test('DATA-STALE while contact is lost, DRIVER-NOT-CONNECTED before the first reading', async () => {
    ups.current = { ...ups.current, comms: 'lost', status: [] };
    for (const req of [
      'GET VAR rack ups.status',
      'LIST VAR rack',
      'GET NUMLOGINS rack',
      'GET TYPE rack ups.status',
      'LIST CMD rack',
    ])
      expect(await c.ask(req)).toEqual(['ERR DATA-STALE']);
    expect(await c.ask('GET UPSDESC rack')).toEqual(['UPSDESC rack "Rack UPS"']);
    expect(await c.ask('LIST UPS')).toHaveLength(4);
    ups.current = { ...ups.current, comms: 'unknown', lastContactAt: 0 };
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['ERR DRIVER-NOT-CONNECTED']);
    ups.current = { ...ups.current, comms: 'stale', lastContactAt: 5, status: ['OL'] };
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['VAR rack ups.status "OL"']);
  });

  test('SET VAR on the writable delays, INSTCMD to the source with those delays', async () => {
    await c.ask('USERNAME admin');
    await c.ask('PASSWORD adminpass');
    expect(await c.ask('SET VAR rack ups.delay.shutdown "45"')).toEqual(['OK']);
    expect(await c.ask('SET VAR rack ups.delay.shutdown 12345678901')).toEqual(['ERR TOO-LONG']);
    expect(await c.ask('SET VAR rack ups.delay.shutdown soon')).toEqual(['ERR INVALID-VALUE']);
    expect(await c.ask('SET VAR rack battery.charge 5')).toEqual(['ERR READONLY']);
    expect(await c.ask('SET VAR rack nope 5')).toEqual(['ERR VAR-NOT-SUPPORTED']);
    expect(await c.ask('SET VAR rack ups.delay.shutdown')).toEqual(['ERR INVALID-ARGUMENT']);
    expect(await c.ask('GET VAR rack ups.delay.shutdown')).toEqual(['VAR rack ups.delay.shutdown "45"']);
    expect(await c.ask('INSTCMD rack shutdown.return')).toEqual(['OK']);
    expect(ups.commands).toEqual([{ cmd: 'shutdown.return', opts: { offDelay: 45, onDelay: undefined } }]);
    // upsd looks the command up before the user's rights: one the UPS lacks is CMD-NOT-SUPPORTED for anyone.
    expect(await c.ask('INSTCMD rack shutdown.stayoff')).toEqual(['ERR CMD-NOT-SUPPORTED']);
    expect(await c.ask('INSTCMD rack load.off')).toEqual(['ERR CMD-NOT-SUPPORTED']);
    ups.failCommands = true;
    expect(await c.ask('INSTCMD rack beeper.mute')).toEqual(['ERR INSTCMD-FAILED']);
    expect(await c.ask('SET TRACKING ON')).toEqual(['OK']);
    const [tracked] = await c.ask('INSTCMD rack beeper.mute');
    expect(tracked).toMatch(/^OK TRACKING [0-9a-f-]{36}$/);
    const id = tracked!.split(' ')[2]!;
    const settled = await until('the tracked command to settle', async () => {
      const reply = await c.ask(`GET TRACKING ${id}`);
      return reply[0] === 'PENDING' ? undefined : reply;
    });
    expect(settled).toEqual(['ERR FAILED']);
    expect(await c.ask('GET TRACKING')).toEqual(['ON']);
  });

  test('a malformed or over-long line gets ERR and the connection and others go on', async () => {
    const other = await open(port);
    expect(await c.ask('GET VAR rack "a#b"')).toEqual(['ERR INVALID-ARGUMENT']);
    expect(await c.ask('GET "VAR rack')).toEqual(['ERR INVALID-ARGUMENT']);
    expect(await c.ask(`GET VAR rack ${'x'.repeat(400)}`)).toEqual(['ERR INVALID-ARGUMENT']);
    c.socket.write(Buffer.from([0xff, 0xfe, 0x00, 0x0a]));
    expect(await c.read()).toEqual(['ERR UNKNOWN-COMMAND']);
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['VAR rack ups.status "OL"']);
    expect(await other.ask('GET VAR rack battery.charge')).toEqual(['VAR rack battery.charge "100"']);
    expect(logs.join('')).toContain('NUT request line too long');
  });

  test('pipelined requests are answered in order', async () => {
    c.socket.write('VER\nNETVER\nGET VAR rack battery.charge\n');
    expect(await c.read(3)).toEqual([
      'Network UPS Tools upsd 2.8.0 (upsguard 9.9.9) - https://www.networkupstools.org/',
      '1.3',
      'VAR rack battery.charge "100"',
    ]);
  });

  test('a client silent for more than the idle limit is dropped; a logged-in one counts as logged out', async () => {
    await c.ask('USERNAME monuser');
    await c.ask('PASSWORD monpass1');
    await c.ask('LOGIN rack');
    clock.advance(59_000);
    expect(await c.ask('GET VAR rack ups.status')).toEqual(['VAR rack ups.status "OL"']);
    clock.advance(59_000);
    expect(c.closed).toBe(false);
    clock.advance(1_001);
    expect(await c.waitClosed()).toBe(true);
    expect(server.logouts('rack').map((l) => l.reason)).toEqual(['idle']);
  });

  test('wrong passwords slow an address down (growing, capped), a right one is still accepted, none is logged', async () => {
    // Three free failures, then each attempt waits 250 ms, 500 ms, … (the harness caps it at 60 s).
    for (let i = 0; i < 3; i++) {
      const cl = await open(port);
      await cl.ask('USERNAME monuser');
      await cl.ask('PASSWORD wrong-Secret-42');
      expect(await cl.ask('LOGIN rack')).toEqual(['ERR ACCESS-DENIED']);
    }
    const slowed = await open(port);
    await slowed.ask('USERNAME monuser');
    await slowed.ask('PASSWORD wrong-Secret-42');
    const pending = slowed.ask('LOGIN rack');
    await new Promise((r) => setTimeout(r, 50));
    expect(slowed.buffered()).toBe('');
    clock.advance(250);
    expect(await pending).toEqual(['ERR ACCESS-DENIED']);
    // The right password after someone's guessing: answered after the (now 500 ms) delay, and accepted.
    const upsmon = await open(port);
    await upsmon.ask('USERNAME monuser');
    await upsmon.ask('PASSWORD monpass1');
    const login = upsmon.ask('LOGIN rack');
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(500);
    expect(await login).toEqual(['OK']);
    expect(server.numLogins('rack')).toBe(1);
    // A success forgets the address's failures: the next check is not delayed.
    const next = await open(port);
    await next.ask('USERNAME monuser');
    await next.ask('PASSWORD monpass1');
    expect(await next.ask('LOGIN rack')).toEqual(['OK']);
    const text = logs.join('');
    expect(text.match(/NUT login failed/g)).toHaveLength(4);
    expect(text).toContain('slowing this address down');
    expect(text).not.toContain('wrong-Secret-42');
    expect(text).not.toContain('monpass1');
  });
});

describe('NUT server limits', () => {
  test('connections over the limit are refused; the others are served', async () => {
    const clock = new ManualClock(0);
    const { server, port, logs } = await startServer(clock, [new FakeUps()], { maxConnections: 2 });
    const a = await LineClient.open(port);
    const b = await LineClient.open(port);
    expect(await a.ask('NETVER')).toEqual(['1.3']);
    const third = await LineClient.open(port);
    expect(await third.waitClosed()).toBe(true);
    expect(await b.ask('NETVER')).toEqual(['1.3']);
    expect(logs.join('')).toContain('connection limit reached');
    for (const x of [a, b]) x.end();
    await server.stop();
  });

  test('a port in use is a typed error naming the address', async () => {
    const clock = new ManualClock(0);
    const first = await startServer(clock, [new FakeUps()]);
    await expect(startServer(clock, [new FakeUps()], { port: first.port })).rejects.toThrow(
      `NUT server cannot listen on 127.0.0.1:${first.port}: the port is in use`,
    );
    await first.server.stop();
  });
});

/** A raw client from a chosen loopback address (Linux routes all of 127/8 to lo). */
function openFrom(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
  });
}
describe('NUT server: one client cannot lock the others out', () => {
  const sockets: net.Socket[] = [];
  let server: NutServer | undefined;
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await server?.stop();
    server = undefined;
  });

  test('one address holding connections up to the global cap does not keep a new client out', async () => {
    const clock = new ManualClock(0);
    const started = await startServer(clock, [new FakeUps()], { maxConnections: 16, maxConnectionsPerAddress: 4 });
    server = started.server;
    // The attacker opens as many as the global cap allows; only its share is kept.
    const held = await Promise.all(Array.from({ length: 16 }, () => openFrom(started.port, '127.0.0.2')));
    sockets.push(...held);
    await until(
      'the attacker is cut down to its per-address share',
      () => held.filter((s) => s.destroyed).length === 12,
      3000,
    );
    const c = await LineClient.open(started.port);
    expect(await c.ask('NETVER')).toEqual(['1.3']);
    c.end();
    expect(started.logs.join('')).toMatch(/connection limit reached \(4 from 127\.0\.0\.2\)/);
  });

  test('lines that are not valid commands, or only unknown commands, do not keep a client from going idle', async () => {
    const clock = new ManualClock(0);
    const started = await startServer(clock, [new FakeUps()], { idleTimeoutMs: 60_000 });
    server = started.server;
    const bad = await LineClient.open(started.port);
    const good = await LineClient.open(started.port);
    for (let i = 0; i < 3; i++) {
      expect(await bad.ask(i % 2 === 0 ? 'NOSUCHCOMMAND x' : '"open quote')).toEqual([
        i % 2 === 0 ? 'ERR UNKNOWN-COMMAND' : 'ERR INVALID-ARGUMENT',
      ]);
      expect(await good.ask('VER')).toEqual([expect.stringContaining('9.9.9')]);
      clock.advance(20_000);
    }
    // 60 s after connecting: the one sending junk is gone, the one sending real requests stays.
    expect(await bad.waitClosed()).toBe(true);
    expect(good.closed).toBe(false);
    expect(await good.ask('NETVER')).toEqual(['1.3']);
    good.end();
    expect(started.logs.join('')).toContain('NUT client idle; disconnected');
  });

  test('malformed and overlong lines cannot flood the log', async () => {
    const clock = new ManualClock(0);
    const started = await startServer(clock, [new FakeUps()], { maxLineLength: 64 });
    server = started.server;
    const c = await LineClient.open(started.port);
    c.socket.write('"open\n'.repeat(100) + `${'x'.repeat(100)}\n`.repeat(100));
    const replies = await c.read(200, 5000);
    expect(replies.every((r) => r === 'ERR INVALID-ARGUMENT')).toBe(true);
    const text = () => started.logs.join('');
    expect((text().match(/NUT request not understood/g) ?? []).length).toBeLessThanOrEqual(5);
    expect((text().match(/NUT request line too long/g) ?? []).length).toBeLessThanOrEqual(5);
    clock.advance(60_000);
    expect(text()).toMatch(/suppressed \d+ similar/);
    c.end();
  });

  test('stop closes every client at once, mid-command included, and resolves in bounded time', async () => {
    const clock = new ManualClock(0);
    const stuck = new FakeUps();
    stuck.command = () => new Promise<void>(() => undefined);
    const started = await startServer(clock, [stuck], { commandTimeoutMs: 60_000 });
    const clients = await Promise.all(Array.from({ length: 5 }, () => LineClient.open(started.port)));
    await clients[0]!.ask('USERNAME monuser');
    await clients[0]!.ask('PASSWORD monpass1');
    expect(await clients[0]!.ask('LOGIN rack')).toEqual(['OK']);
    await clients[1]!.ask('USERNAME admin');
    await clients[1]!.ask('PASSWORD adminpass');
    clients[1]!.socket.write('INSTCMD rack beeper.mute\n');
    // Half-sent line, and one that never sends anything.
    clients[2]!.socket.write('LIST VA');
    const t0 = Date.now();
    await started.server.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const c of clients) expect(await c.waitClosed(1000)).toBe(true);
    expect(started.server.address()).toBeNull();
    await started.server.stop();
  });
});
