import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { sshDriverSchema } from '../../src/config/driver-schema.js';
import { loadConfigFile } from '../../src/config/load.js';
import { notifySchema } from '../../src/config/notify-schema.js';
import { createLogger, type Logger } from '../../src/log.js';
import { buildChannel } from '../../src/notify/channels/index.js';
import { UpsguardError } from '../../src/errors.js';
import { SshDriver } from '../../src/shutdown/drivers/ssh.js';
import type { UpsEvent } from '../../src/ups/events.js';
import { NutConnection } from '../../src/ups/nut/nut-connection.js';
import { NutSource } from '../../src/ups/nut/nut-source.js';
import { RelayLink } from '../../src/ups/transport/relay-link.js';
import { systemClock } from '../../src/util/clock.js';
import { startAgent, writeKeys } from '../helpers/relay-agent-process.js';
import { selfSignedCert } from '../helpers/self-signed.js';
import { until } from '../helpers/until.js';
import { webLogin } from '../helpers/web-login.js';
import { FakeUps, LineClient, startServer } from '../ups/nut/server-harness.js';

/**
 * Every part that holds a secret, run through its failure paths; then every log line, API answer, journal row and
 * error message is searched for the secrets. Each secret is a distinctive string that appears nowhere else.
 */
const S = {
  nutClient: 'S3cr3t-nut-8f2a',
  nutServerUser: 'S3cr3t-nutsrv-4b1e',
  nutServerWrong: 'S3cr3t-nutwrong-91cc',
  pveToken: 'S3cr3t-pve-0d7e-4c55-9a0e',
  vspherePassword: 'S3cr3t-vs<&>-7c1d',
  hookPass: 'S3cr3t-hookpass-22aa',
  hookToken: 'S3cr3t-hooktok-33bb',
  sshKeyBody: 'S3cr3tSshKeyBodyAAAAB3NzaC1yc2EAAAADAQABAAABAQC7vbqajDhA1234567890abcdefghij',
  webAdmin: 'S3cr3t-webadmin-5e6f',
};
/** The forms a leaked secret could take in our outputs: as is, XML-escaped, URL-encoded, JSON-escaped. */
const forms = (s: string): string[] => [
  s,
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'),
  encodeURIComponent(s),
  JSON.stringify(s).slice(1, -1),
];
const ALL = Object.values(S).flatMap(forms);

function leaks(text: string, extra: readonly string[] = []): string[] {
  return [...ALL, ...extra].filter((s) => text.includes(s));
}

/** One capture for every logger in this file. */
const chunks: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    chunks.push(chunk.toString());
    cb();
  },
});
const log: Logger = createLogger({ level: 'trace', destination: sink });
const logText = (): string => chunks.join('');

/** Every error message and stack a part handed back. */
const errors: string[] = [];
const keep = (e: unknown): unknown => {
  errors.push(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
  return e;
};

const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function listenNet(onSocket: (s: Socket) => void): Promise<number> {
  const sockets: Socket[] = [];
  const server: NetServer = createNetServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
}

/** A NUT server that refuses PASSWORD (as upsd does for an argument it cannot take), answers OK to USERNAME. */
const refusingNut = (): Promise<number> =>
  listenNet((s) => {
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        s.write(
          line.startsWith('PASSWORD')
            ? 'ERR INVALID-ARGUMENT\n'
            : line.startsWith('USERNAME')
              ? 'OK\n'
              : 'ERR ACCESS-DENIED\n',
        );
      }
    });
  });

/** A NUT server that accepts USERNAME and then never answers again: PASSWORD times out. */
const stallingNut = (): Promise<number> =>
  listenNet((s) => {
    let answered = false;
    s.on('data', () => {
      if (!answered) s.write('OK\n');
      answered = true;
    });
  });

async function httpsServer(handler: (body: string, auth: string) => { status: number; body: string }): Promise<number> {
  const files = selfSignedCert(mkdtempSync(join(tmpdir(), 'secrets-peer-')), 'peer');
  const server = createHttpsServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const out = handler(body, req.headers.authorization ?? '');
      res.statusCode = out.status;
      res.end(out.body);
    });
  });
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)));
}

/** Proxmox stand-in: every call is refused with a body that echoes the Authorization header. */
const echoingPve = (): Promise<number> =>
  httpsServer((_body, auth) => ({
    status: 500,
    body: JSON.stringify({ data: null, message: `internal error for ${auth} ${'x'.repeat(2000)}` }),
  }));

/** vSphere stand-in: service content, then a fault whose text is the request (the Login password in it). */
const echoingVsphere = (): Promise<number> => {
  const env = (inner: string): string =>
    '<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
    ` xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${inner}</soapenv:Body></soapenv:Envelope>`;
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return httpsServer((body) =>
    body.includes('<RetrieveServiceContent>')
      ? {
          status: 200,
          body: env(
            '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">f</rootFolder>' +
              '<propertyCollector type="PropertyCollector">pc</propertyCollector><viewManager type="ViewManager">v' +
              '</viewManager><sessionManager type="SessionManager">sm</sessionManager><about><apiType>HostAgent' +
              '</apiType><fullName>echo</fullName></about></returnval></RetrieveServiceContentResponse>',
          ),
        }
      : {
          status: 500,
          body: env(
            `<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>bad request ${esc(body)}</faultstring>` +
              '<detail><InvalidRequestFault xmlns="urn:vim25" xsi:type="InvalidRequest"></InvalidRequestFault>' +
              '</detail></soapenv:Fault>',
          ),
        },
  );
};

/** A webhook receiver that refuses everything, after recording what it was sent. */
async function refusingHook(): Promise<{ port: number; auth: string[] }> {
  const auth: string[] = [];
  const server: HttpServer = createHttpServer((req, res) => {
    auth.push(req.headers.authorization ?? '');
    req.resume();
    req.on('end', () => {
      res.statusCode = 500;
      res.end(`refused ${req.url ?? ''}`);
    });
  });
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  );
  return { port, auth };
}

const event: UpsEvent = { id: 1, at: Date.UTC(2026, 11, 1), type: 'ONBATT', ups: 'sim1', message: 'on battery' };

describe('secrets never reach a log line, an API answer, a journal row or an error message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-secrets-'));
  closers.unshift(() => rmSync(dir, { recursive: true, force: true }));
  let app: App;
  let hook: { port: number; auth: string[] };
  const api: string[] = [];
  /** The admin's login, made once the app is up (and with a failed attempt first, which must not leak either). */
  let headers: Record<string, string> = {};

  beforeAll(async () => {
    const [refusing, stalling, pve, vs] = await Promise.all([
      refusingNut(),
      stallingNut(),
      echoingPve(),
      echoingVsphere(),
    ]);
    hook = await refusingHook();
    const secretFile = (name: string, value: string): string => {
      writeFileSync(join(dir, name), `${value}\n`, { mode: 0o600 });
      return name;
    };
    const hookUrl = `http://hook-user:${S.hookPass}@127.0.0.1:${hook.port}/h?token=${S.hookToken}&channel=ops`;
    writeFileSync(
      join(dir, 'c.yaml'),
      [
        'log: { level: trace }',
        `store: { path: ${join(dir, 'db.sqlite')} }`,
        'nut_server: { port: 0 }',
        'users:',
        '  - name: upsmon',
        `    password_file: ${secretFile('nutsrv.pass', S.nutServerUser)}`,
        '    upsmon: secondary',
        '  - name: admin',
        `    password_file: ${secretFile('web.pass', S.webAdmin)}`,
        '    role: admin',
        'ups:',
        '  - name: sim1',
        '    source: { kind: sim, scenario: steady }',
        '  - name: refusing',
        `    source: { kind: nut, url: "nut://monuser@127.0.0.1:${refusing}/rack", password_file: ${secretFile('nut.pass', S.nutClient)} }`,
        '  - name: stalling',
        `    source: { kind: nut, url: "nut://monuser@127.0.0.1:${stalling}/rack", password_file: nut.pass }`,
        'monitor: { io_timeout_ms: 200, reconnect_base_ms: 100, reconnect_max_ms: 200 }',
        'shutdown:',
        '  drivers:',
        `    - { name: pve, kind: proxmox, url: "https://127.0.0.1:${pve}", token_id: "upsguard@pve!shutdown", token_file: ${secretFile('pve.token', S.pveToken)}, insecure: true, request_timeout_ms: 2000 }`,
        `    - { name: vc, kind: vsphere, url: "https://127.0.0.1:${vs}/sdk", username: root, password_file: ${secretFile('vs.pass', S.vspherePassword)}, insecure: true, request_timeout_ms: 2000 }`,
        '  plan:',
        '    name: p',
        '    phases:',
        '      - { name: vms, targets: [{ driver: pve, kind: vm, tags: [qemu] }, { driver: vc, kind: vm, tags: [vsphere] }] }',
        'notify:',
        `  webhooks: [{ url: "${hookUrl}", retries: 1, retry_base_ms: 1, timeout_ms: 2000 }]`,
      ].join('\n'),
    );
    const loaded = loadConfigFile(join(dir, 'c.yaml'), {});
    app = new App({ loaded, log });
    await app.start();
    closers.push(() => app.stop());
    await app.server().inject({
      method: 'POST',
      url: '/api/login',
      headers: { origin: 'http://localhost', host: 'localhost' },
      payload: { user: 'admin', password: S.nutServerWrong },
    });
    ({ headers } = await webLogin(app.server(), 'admin', S.webAdmin));
  }, 60_000);

  it('NUT client: a refused PASSWORD and a PASSWORD that times out', async () => {
    const [refusing, stalling] = await Promise.all([refusingNut(), stallingNut()]);
    for (const port of [refusing, stalling]) {
      const conn = await NutConnection.open({ host: '127.0.0.1', port, timeoutMs: 200, starttls: 'off' });
      await conn.request('USERNAME monuser');
      const e = keep(await conn.request(`PASSWORD "${S.nutClient}"`).catch((x: unknown) => x));
      expect((e as Error).message).toMatch(/PASSWORD \[redacted\]/);
      conn.close();
    }
  });

  it('NUT client: a wrong password against our own NUT server', async () => {
    const { server, port, logs } = await startServer(systemClock, [new FakeUps()]);
    closers.push(() => server.stop());
    const src = new NutSource({
      target: { user: 'monuser', host: '127.0.0.1', port, ups: 'rack' },
      password: S.nutClient,
      starttls: 'off',
      login: true,
      pollMs: 100,
      onBatteryPollMs: 50,
      ioTimeoutMs: 1000,
      reconnectBaseMs: 50,
      reconnectMaxMs: 200,
      allowedCommands: ['shutdown.return'],
      clock: systemClock,
      log,
    });
    closers.push(() => src.stop());
    await src.start();
    await until('the refused LOGIN logged', () => logText().includes('NUT LOGIN refused'), 5000);
    keep(await src.command('shutdown.return').catch((x: unknown) => x));
    expect(leaks(logs.join(''))).toEqual([]);
  });

  it('NUT server: a client logging in with a wrong password', async () => {
    const port = app.nutServer()?.address()?.port;
    expect(port).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) {
      const c = await LineClient.open(port!);
      expect(await c.ask('USERNAME upsmon')).toEqual(['OK']);
      expect(await c.ask(`PASSWORD ${S.nutServerWrong}`)).toEqual(['OK']);
      expect(await c.ask('LOGIN sim1')).toEqual(['ERR ACCESS-DENIED']);
      c.socket.destroy();
    }
    await until('the failed logins logged', () => logText().includes('upsmon'), 5000);
  });

  it('Proxmox and vSphere: endpoints that echo the credentials back in their errors', async () => {
    const res = await app.server().inject({ method: 'POST', url: '/api/plan/dry-run', headers });
    api.push(res.body);
    for (const d of app.config.shutdown.drivers) expect(d.name).toMatch(/pve|vc/);
    // Whatever the run made of the failures, it is journaled, and the plan shows the drivers' reports.
    await until('the dry run is journaled', async () => {
      const runs = await app.server().inject({ url: '/api/runs', headers });
      return runs.statusCode === 200 && runs.body.includes('dry');
    });
    expect(logText()).toMatch(/\[redacted\]/);
  });

  it('SSH: private key content that ssh (or the remote side) prints back', async () => {
    const fakeSsh = join(dir, 'fake-ssh.sh');
    writeFileSync(
      fakeSsh,
      [
        '#!/bin/sh',
        'cat >&2 <<EOF',
        '-----BEGIN OPENSSH PRIVATE KEY-----',
        S.sshKeyBody,
        '-----END OPENSSH PRIVATE KEY-----',
        S.sshKeyBody,
        'EOF',
        'exit 255',
      ].join('\n'),
    );
    chmodSync(fakeSsh, 0o755);
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const cfg = sshDriverSchema.parse({
      name: 'ssh',
      kind: 'ssh',
      hosts: [
        { name: 'nas', address: '127.0.0.1', port: 1, key_file: join(dir, 'id_ed25519'), known_hosts: knownHosts },
      ],
      call_timeout_ms: 5000,
    });
    const d = new SshDriver(cfg, { baseDir: dir, sshPath: fakeSsh });
    const checks = await d.check();
    errors.push(JSON.stringify(checks));
    expect(checks[0]?.ok).toBe(false);
    expect(checks[0]?.message).toContain('[redacted]');
    const t = (await d.discover())[0]!;
    keep(await d.shutdown(t).catch((x: unknown) => x));
  });

  it('relay: a client with a wrong pre-shared key', async () => {
    const rdir = mkdtempSync(join(tmpdir(), 'upsguard-secrets-relay-'));
    closers.push(() => rmSync(rdir, { recursive: true, force: true }));
    const keys = writeKeys(rdir, ['vm1']);
    const { proc, port } = await startAgent({ dir: rdir, keysFile: keys.file });
    closers.push(() => proc.stop());
    const wrong = Buffer.alloc(32, 0x5a);
    const relayErrors: string[] = [];
    const link = new RelayLink({
      host: '127.0.0.1',
      port,
      identity: 'vm1',
      key: wrong,
      connectTimeoutMs: 2000,
      requestTimeoutMs: 2000,
      onPush: () => undefined,
      onClose: (r) => relayErrors.push(r),
    });
    const e = await link.connect().catch((x: unknown) => x);
    relayErrors.push(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
    errors.push(...relayErrors);
    expect(String(e)).toMatch(/TLS handshake refused/);
    await proc.waitFor(/relay handshake refused/);
    const hexes = [keys.keys.vm1!.toString('hex'), wrong.toString('hex'), keys.keys.vm1!.toString('base64')];
    expect(leaks(proc.out(), hexes)).toEqual([]);
    expect(leaks(relayErrors.join('\n'), hexes)).toEqual([]);
  });

  it('webhook: user:pass@ and ?token= in the URL', async () => {
    // The channel the notification queue sends through; its error texts are what the queue logs and stores.
    const send = (url: string) =>
      buildChannel(notifySchema.parse({ channels: [{ name: 'hook', kind: 'webhook', url }] }).channels[0]!)
        .send({ id: 'msg-1', channel: 'hook', event })
        .catch(keep);
    expect(await send(`http://hook-user:${S.hookPass}@127.0.0.1:${hook.port}/h?token=${S.hookToken}`)).toBeInstanceOf(
      UpsguardError,
    );
    expect(hook.auth.at(-1)).toBe(`Basic ${Buffer.from(`hook-user:${S.hookPass}`).toString('base64')}`);
    expect(await send(`http://u:${S.hookPass}@127.0.0.1:1/h?api_key=${S.hookToken}`)).toBeInstanceOf(UpsguardError);
  });

  it('finally: no secret in any log line, API answer, journal row or error message', async () => {
    for (const url of [
      '/api/status',
      '/api/plan',
      '/api/runs',
      '/api/events',
      '/api/events?limit=500',
      '/api/audit',
      '/api/sessions',
      '/api/me',
      '/api/notify',
      '/api/restore',
      '/metrics',
    ]) {
      const res = await app.server().inject({ url, headers });
      expect(res.statusCode, url).toBe(200);
      api.push(res.body);
    }
    const runs = JSON.parse(api.find((b) => b.includes('"runs"')) ?? '{"runs":[]}') as { runs?: { id: number }[] };
    for (const r of runs.runs ?? []) api.push((await app.server().inject({ url: `/api/runs/${r.id}`, headers })).body);
    await app.stop();
    const db = ['db.sqlite', 'db.sqlite-wal']
      .map((f) => join(dir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('\n');
    expect(db.length).toBeGreaterThan(0);
    expect(db).toMatch(/dry/);
    expect(logText().length).toBeGreaterThan(1000);
    expect(errors.length).toBeGreaterThan(4);
    expect({
      logs: leaks(logText()),
      api: leaks(api.join('\n')),
      journal: leaks(db),
      errors: leaks(errors.join('\n')),
    }).toEqual({ logs: [], api: [], journal: [], errors: [] });
  });
});
