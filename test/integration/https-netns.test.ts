/**
 * The console on a non-loopback address, for real: a network namespace of its own (a veth pair with 10.x addresses,
 * both ends inside it, so no traffic leaves it), `upsguard serve` listening there, and a TLS client inside the same
 * namespace that must see exactly the certificate whose fingerprint the log printed.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../helpers/peers.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const describeNetns = describeWithPeers({
  root: process.getuid?.() === 0,
  ip: works('ip', ['-V']),
  openssl: works('openssl', ['version']),
});

const ns = `upsguard-tls-${process.pid}`;
const octet = 1 + (process.pid % 250);
const serverIp = `10.213.${octet}.1`;
const clientIp = `10.213.${octet}.2`;
const port = 8443;

const inNs = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: 30_000 });

/** Runs a small ES module with node inside the namespace; returns what it prints. */
async function nodeInNs(script: string): Promise<string> {
  return (await inNs(process.execPath, ['--input-type=module', '-e', script])).stdout.trim();
}

describeNetns('HTTPS off loopback, inside a network namespace', () => {
  let dir = '';
  let config = '';
  let serve: ChildProcess | null = null;
  let stdout = '';
  let stderr = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-netns-'));
    await run('ip', ['netns', 'add', ns]);
    await inNs('ip', ['link', 'set', 'lo', 'up']);
    await inNs('ip', ['link', 'add', 'ugv0', 'type', 'veth', 'peer', 'name', 'ugv1']);
    await inNs('ip', ['addr', 'add', `${serverIp}/24`, 'dev', 'ugv0']);
    await inNs('ip', ['addr', 'add', `${clientIp}/24`, 'dev', 'ugv1']);
    await inNs('ip', ['link', 'set', 'ugv0', 'up']);
    await inNs('ip', ['link', 'set', 'ugv1', 'up']);
    config = join(dir, 'upsguard.yaml');
    writeFileSync(
      config,
      [
        `web: { host: ${serverIp}, port: ${port} }`,
        'store: { path: data/upsguard.db }',
        'log: { level: info }',
        'ups:',
        '  - name: u',
        '    source: { kind: sim }',
        '',
      ].join('\n'),
    );
  }, 60_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('serves HTTPS with the printed certificate, no plain HTTP, and the CLI prints the same fingerprint', async () => {
    // Before the first start there is nothing to print: the CLI says so and exits 1.
    const before = spawnSync(tsx, [resolve(root, 'src/main.ts'), 'web', 'fingerprint', '--config', config], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(before.status).toBe(1);
    expect(before.stderr).toMatch(/no web certificate yet: .*web-cert\.pem does not exist/);

    serve = spawn('ip', ['netns', 'exec', ns, tsx, resolve(root, 'src/main.ts'), 'serve', '--config', config], {
      cwd: root,
    });
    serve.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    serve.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => serve!.on('exit', r));
    const announced = new RegExp(
      `web: https://${serverIp.replaceAll('.', '\\.')}:${port}/ certificate SHA-256 ([0-9A-F:]{95})`,
    );
    const printed = await new Promise<string>((res, rej) => {
      const timer = setInterval(() => {
        const m = announced.exec(stdout);
        if (m && stdout.includes('Open https://')) {
          clearInterval(timer);
          res(m[1]!);
        }
      }, 50);
      void exited.then((code) => {
        clearInterval(timer);
        rej(new Error(`serve exited ${String(code)}: ${stderr}${stdout}`));
      });
    });
    expect(stdout).toContain(`Open https://${serverIp}:${port}`);

    // openssl, a client that is not ours, sees that certificate.
    const openssl = await inNs('sh', [
      '-c',
      `openssl s_client -connect ${serverIp}:${port} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256`,
    ]);
    expect(/=([0-9A-F:]+)/.exec(openssl.stdout)?.[1]).toBe(printed);

    // Node's TLS client from the other end of the pair: same certificate, and a real page over it.
    const seen = await nodeInNs(`
      import { connect } from 'node:tls';
      const s = connect({ host: '${serverIp}', port: ${port}, rejectUnauthorized: false, localAddress: '${clientIp}' }, () => {
        const c = s.getPeerCertificate();
        s.write('GET / HTTP/1.1\\r\\nHost: ${serverIp}:${port}\\r\\nConnection: close\\r\\n\\r\\n');
        let body = '';
        s.on('data', (d) => (body += d));
        s.on('end', () => { console.log(JSON.stringify({ fp: c.fingerprint256, status: body.split('\\r\\n')[0] })); });
      });
      s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); });
    `);
    const tlsSeen = JSON.parse(seen) as { fp?: string; status?: string; error?: string };
    expect(tlsSeen.fp).toBe(printed);
    expect(tlsSeen.status).toMatch(/^HTTP\/1\.1 \d{3}/);

    // Plain HTTP to the same address gets no page: the TLS server drops what is not a handshake.
    const plain = await nodeInNs(`
      import { get } from 'node:http';
      get('http://${serverIp}:${port}/', { timeout: 5000 }, (res) => { console.log('status ' + res.statusCode); res.resume(); })
        .on('timeout', function () { console.log('timeout'); this.destroy(); })
        .on('error', (e) => console.log('error ' + e.message));
    `);
    expect(plain).toMatch(/^error /);

    // The CLI reads the pair serve kept, and prints the same fingerprint.
    const cli = spawnSync(tsx, [resolve(root, 'src/main.ts'), 'web', 'fingerprint', '--config', config], {
      encoding: 'utf8',
      cwd: root,
    });
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    expect(/SHA-256 ([0-9A-F:]{95})/.exec(cli.stdout)?.[1]).toBe(printed);
  }, 120_000);

  it('an app configured for loopback but told to listen off it makes a certificate first: plain HTTP stays local', async () => {
    const tlsDir = join(dir, 'rebuild-tls');
    const script = join(dir, 'listen-off-loopback.mts');
    const src = (m: string) => JSON.stringify(resolve(root, 'src', m));
    writeFileSync(
      script,
      `
      import { connect } from 'node:tls';
      import { App } from ${src('app.js')};
      import { validateConfig } from ${src('config/load.js')};
      import { createLogger } from ${src('log.js')};
      const loaded = validateConfig(
        {
          store: { path: ':memory:' },
          nut_server: { port: 0 },
          web: { host: '127.0.0.1', tls_dir: ${JSON.stringify(tlsDir)} },
          ups: [{ name: 'u', source: { kind: 'sim' } }],
        },
        'test', ${JSON.stringify(dir)}, {},
      );
      const app = new App({ loaded, log: createLogger({ level: 'silent' }) });
      await app.start();
      const url = await app.listen('${serverIp}', 0);
      const peer = await new Promise((res, rej) => {
        const s = connect({ host: '${serverIp}', port: Number(new URL(url).port), rejectUnauthorized: false }, () => {
          res(s.getPeerCertificate().fingerprint256);
          s.end();
        });
        s.on('error', rej);
      });
      console.log(JSON.stringify({ url, peer }));
      await app.stop();
      process.exit(0);
      `,
    );
    const r = await inNs(tsx, [script]);
    const seen = JSON.parse(r.stdout.trim().split('\n').pop()!) as { url: string; peer: string };
    expect(seen.url).toMatch(new RegExp(`^https://${serverIp.replaceAll('.', '\\.')}:\\d+$`));
    const kept = new X509Certificate(readFileSync(join(tlsDir, 'web-cert.pem')));
    expect(seen.peer).toBe(kept.fingerprint256);
    expect(kept.checkIP(serverIp)).toBe(serverIp);
  }, 60_000);
});
