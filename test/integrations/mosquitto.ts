import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

/** A port free right now on 127.0.0.1 (the broker's config must name it before the broker starts). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A test CA and a server certificate it signed for 127.0.0.1, made with the openssl CLI. */
export function testCa(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string): string => join(dir, n);
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  run(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'].concat([
      '-subj',
      '/CN=upsguard test CA',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
    ]),
  );
  run(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1'].concat([
      '-keyout',
      f('broker.key'),
      '-out',
      f('broker.csr'),
    ]),
  );
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(
    ['x509', '-req', '-in', f('broker.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial'].concat([
      '-days',
      '2',
      '-extfile',
      f('san.ext'),
      '-out',
      f('broker.pem'),
    ]),
  );
  return { ca: f('ca.pem'), cert: f('broker.pem'), key: f('broker.key') };
}

/**
 * A real mosquitto on 127.0.0.1 with two listeners: plain and anonymous, and TLS (the test CA) with a password
 * file. Started in the foreground from a config file the test writes; stopped by its own PID.
 */
export class Mosquitto {
  private proc: ChildProcess | null = null;
  plainPort = 0;
  tlsPort = 0;
  output = '';
  readonly ca: string;

  constructor(
    private readonly dir: string,
    readonly user = 'haclient',
    readonly password = 'broker-secret-pw',
  ) {
    if (!existsSync(MOSQUITTO) || !existsSync(MOSQUITTO_PASSWD)) {
      throw new Error(`mosquitto is not installed (${MOSQUITTO}); npm test installs the Debian package as root`);
    }
    const tls = testCa(dir);
    this.ca = tls.ca;
    const passwd = join(dir, 'passwd');
    execFileSync(MOSQUITTO_PASSWD, ['-b', '-c', passwd, user, password], { stdio: 'ignore' });
    this.tls = tls;
    this.passwd = passwd;
  }

  private readonly tls: { ca: string; cert: string; key: string };
  private readonly passwd: string;

  async start(): Promise<void> {
    if (this.plainPort === 0) this.plainPort = await freePort();
    if (this.tlsPort === 0) this.tlsPort = await freePort();
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        'user root',
        'per_listener_settings true',
        'persistence false',
        'log_dest stdout',
        'log_type error',
        'log_type warning',
        'log_type notice',
        `listener ${this.plainPort} 127.0.0.1`,
        'allow_anonymous true',
        `listener ${this.tlsPort} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${this.passwd}`,
        `cafile ${this.tls.ca}`,
        `certfile ${this.tls.cert}`,
        `keyfile ${this.tls.key}`,
        '',
      ].join('\n'),
    );
    const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    const end = Date.now() + 10_000;
    while (!(await accepts(this.plainPort)) || !(await accepts(this.tlsPort))) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited ${proc.exitCode}: ${this.output}`);
      if (Date.now() > end) throw new Error(`mosquitto did not listen within 10 s: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
}
