import { selfSignedCert } from '../../helpers/self-signed.js';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { NutConnection, NutReplyError } from '../../../src/ups/nut/nut-connection.js';
import type { NutServer } from '../../../src/ups/nut/nut-server.js';
import { NutDataUnavailable, NutSource, type NutSourceOptions } from '../../../src/ups/nut/nut-source.js';
import { parseNutUrl, formatNutUrl } from '../../../src/ups/nut/nut-url.js';
import { systemClock } from '../../../src/util/clock.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { FakeUps, LineClient, startServer } from './server-harness.js';

describe('nut:// URLs', () => {
  test('parse and format', () => {
    expect(parseNutUrl('nut://monuser@nas.lan:3494/ups')).toEqual({
      user: 'monuser',
      host: 'nas.lan',
      port: 3494,
      ups: 'ups',
    });
    expect(parseNutUrl('nut://[::1]/rack')).toEqual({ user: undefined, host: '::1', port: 3493, ups: 'rack' });
    expect(formatNutUrl(parseNutUrl('nut://[::1]/rack'))).toBe('nut://[::1]:3493/rack');
    expect(() => parseNutUrl('http://x/ups')).toThrow('not a NUT URL: "http://x/ups"');
    expect(() => parseNutUrl('nut://host:70000/ups')).toThrow(/not a NUT URL/);
  });
});

describe('NutSource against an upsguard NUT server', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  async function setup(settings = {}): Promise<{ ups: FakeUps; server: NutServer; port: number }> {
    const ups = new FakeUps();
    const { server, port } = await startServer(systemClock, [ups], settings);
    stops.push(() => server.stop());
    return { ups, server, port };
  }

  function source(port: number, extra: Partial<NutSourceOptions> = {}): NutSource {
    const s = new NutSource({
      target: { user: 'admin', host: '127.0.0.1', port, ups: 'rack' },
      password: 'adminpass',
      starttls: 'off',
      login: false,
      pollMs: 100,
      onBatteryPollMs: 50,
      ioTimeoutMs: 1000,
      reconnectBaseMs: 50,
      reconnectMaxMs: 200,
      allowedCommands: ['shutdown.return'],
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      random: () => 0.5,
      ...extra,
    });
    stops.push(() => s.stop());
    return s;
  }

  test('reads every variable and the status tokens; pushes a reading when the status changes', async () => {
    const { ups, port } = await setup();
    const src = source(port);
    const connected: boolean[] = [];
    const pushed: string[] = [];
    src.events.on('connection', (c) => connected.push(c));
    src.events.on('reading', (r) => pushed.push(r.status.join(' ')));
    await src.start();
    await until('connected', () => connected.includes(true));
    const r = await src.poll('full');
    expect(r.status).toEqual(['OL']);
    expect(r.variables['device.model']).toBe('Back-UPS "500" #1');
    ups.current = { ...ups.current, status: ['OB', 'DISCHRG'] };
    await until('the OB reading', () => pushed.includes('OB DISCHRG'));
    expect(pushed).toEqual(['OL', 'OB DISCHRG']);
  });

  test('DATA-STALE and DRIVER-NOT-CONNECTED are unavailable data, not a power state', async () => {
    const { ups, port } = await setup();
    const src = source(port);
    const connected: boolean[] = [];
    src.events.on('connection', (c) => connected.push(c));
    ups.current = { ...ups.current, comms: 'unknown', lastContactAt: 0 };
    await src.start();
    await until('connected', () => connected.includes(true));
    await expect(src.poll('quick')).rejects.toThrow(NutDataUnavailable);
    await expect(src.poll('quick')).rejects.toThrow(/DRIVER-NOT-CONNECTED/);
    ups.current = { ...ups.current, comms: 'lost', lastContactAt: 5 };
    await expect(src.poll('quick')).rejects.toThrow(/DATA-STALE/);
    ups.current = { ...ups.current, comms: 'ok', status: ['WAIT'] };
    await expect(src.poll('quick')).rejects.toThrow(/ups.status "WAIT"/);
  });

  test('reconnects with backoff after the server goes away and comes back', async () => {
    const first = await setup();
    const src = source(first.port);
    const connected: boolean[] = [];
    src.events.on('connection', (c) => connected.push(c));
    await src.start();
    await until('connected', () => connected.length === 1);
    await first.server.stop();
    await until('disconnected', () => connected.length === 2);
    await expect(src.poll('quick')).rejects.toThrow(/not connected to nut:\/\/admin@127.0.0.1/);
    const ups = new FakeUps();
    const again = await startServer(systemClock, [ups], { port: first.port });
    stops.push(() => again.server.stop());
    await until('reconnected', () => connected.length === 3, 5000);
    expect(connected).toEqual([true, false, true]);
    expect((await src.poll('full')).status).toEqual(['OL']);
  });

  test('relays INSTCMD only for commands both allowed and offered', async () => {
    const { ups, port } = await setup();
    const src = source(port);
    const connected: boolean[] = [];
    src.events.on('connection', (c) => connected.push(c));
    await src.start();
    await until('connected', () => connected.includes(true));
    expect(src.supportedCommands()).toEqual(['shutdown.return']);
    await src.command('shutdown.return', { offDelay: 30 });
    expect(ups.commands).toEqual([{ cmd: 'shutdown.return', opts: { offDelay: 30, onDelay: undefined } }]);
    await expect(src.command('beeper.mute')).rejects.toThrow(/beeper.mute is not allowed or not offered/);
    expect(ups.commands).toHaveLength(1);
  });

  test('logs in as upsmon does and logs out on stop', async () => {
    const { server, port } = await setup();
    const src = source(port, {
      target: { user: 'monuser', host: '127.0.0.1', port, ups: 'rack' },
      password: 'monpass1',
      login: true,
      // The LOGOUT is answered or given up after this; a loaded test machine (QEMU guests beside it) can take a
      // second to answer, and what is tested is that it is sent, not how fast.
      ioTimeoutMs: 5000,
    });
    await src.start();
    await until('logged in', () => server.numLogins('rack') === 1);
    await src.stop();
    await until('logged out', () => server.numLogins('rack') === 0);
    expect(server.logouts('rack').map((l) => l.reason)).toEqual(['LOGOUT']);
  });
});

describe('STARTTLS', () => {
  const dir = tempDir();
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  test('with a certificate: upgrades, verifies, and refuses a second STARTTLS', async () => {
    const { cert, key } = selfSignedCert(dir, '127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1']);
    const { server, port } = await startServer(systemClock, [new FakeUps()], { tlsCertFile: cert, tlsKeyFile: key });
    stops.push(() => server.stop());
    const conn = await NutConnection.open({
      host: '127.0.0.1',
      port,
      timeoutMs: 2000,
      starttls: 'require',
      ca: readFileSync(cert),
    });
    stops.push(() => {
      conn.close();
      return Promise.resolve();
    });
    expect(conn.tls).toBe(true);
    expect(await conn.request('GET VAR rack ups.status')).toBe('VAR rack ups.status "OL"');
    await expect(conn.request('STARTTLS')).rejects.toThrow(new NutReplyError('ALREADY-SSL-MODE', 'STARTTLS'));

    // A client that does not trust the certificate does not get through.
    await expect(NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 2000, starttls: 'require' })).rejects.toThrow(
      /TLS handshake failed/,
    );
    // Clear text still works for clients that do not ask.
    const plain = await LineClient.open(port);
    expect(await plain.ask('NETVER')).toEqual(['1.3']);
    plain.end();
  });

  test('without a certificate: FEATURE-NOT-CONFIGURED; `try` goes on in clear, `require` refuses', async () => {
    const { server, port } = await startServer(systemClock, [new FakeUps()]);
    stops.push(() => server.stop());
    const tryConn = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 2000, starttls: 'try' });
    expect(tryConn.tls).toBe(false);
    expect(await tryConn.request('NETVER')).toBe('1.3');
    tryConn.close();
    await expect(NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 2000, starttls: 'require' })).rejects.toThrow(
      'NUT server answered ERR FEATURE-NOT-CONFIGURED to STARTTLS',
    );
  });
});

describe('credentials in quoted NUT requests', () => {
  const secret = 'S3cr3t nut-8f2a';
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0).reverse()) await s();
  });

  test('a refused PASSWORD is quoted as PASSWORD [redacted], however the secret is quoted', async () => {
    const { server, port } = await startServer(systemClock, [new FakeUps()]);
    stops.push(() => server.stop());
    const conn = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 2000, starttls: 'off' });
    stops.push(() => {
      conn.close();
      return Promise.resolve();
    });
    await conn.request(`PASSWORD "${secret}"`);
    const e = await conn.request(`PASSWORD "${secret}"`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NutReplyError);
    expect((e as Error).message).toBe('NUT server answered ERR ALREADY-SET-PASSWORD to PASSWORD [redacted]');
    expect((e as Error).stack).not.toContain('S3cr3t');
    const u = await conn
      .request('USERNAME admin')
      .then(() => conn.request('USERNAME admin2'))
      .catch((x: unknown) => x);
    expect((u as Error).message).toBe('NUT server answered ERR ALREADY-SET-USERNAME to USERNAME [redacted]');
  });

  test('a PASSWORD that times out is quoted redacted', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => {
      sockets.push(s); // reads, never answers
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    stops.push(
      () =>
        new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          silent.close(() => r());
        }),
    );
    const port = (silent.address() as { port: number }).port;
    const conn = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 150, starttls: 'off' });
    const e = await conn.request(`PASSWORD ${secret.replace(' ', '-')}`).catch((x: unknown) => x);
    expect((e as Error).message).toBe('NUT request PASSWORD [redacted] timed out after 150 ms');
    expect(JSON.stringify(e) + String((e as Error).stack)).not.toContain('S3cr3t');
  });
});
