/**
 * The NUT server's `_nut._tcp` advertisement, for real: two network namespaces joined by a veth pair (10.x
 * addresses, no traffic leaves them). The NUT part of the appliance runs in one, listening on its address (so mDNS is
 * on by default); an mDNS query from the other namespace (multicast-dns, what Home Assistant's zeroconf does) must
 * find the service, its port and its address, and a NUT client must then reach the server there.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../helpers/peers.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');
const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const describeNetns = describeWithPeers({ root: process.getuid?.() === 0, ip: works('ip', ['-V']) });

const nsServer = `upsguard-mdns-a-${process.pid}`;
const nsClient = `upsguard-mdns-b-${process.pid}`;
const octet = 1 + ((process.pid + 7) % 250);
const serverIp = `10.214.${octet}.1`;
const clientIp = `10.214.${octet}.2`;

const inNs = (ns: string, cmd: string, args: string[]) =>
  run('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: 30_000, cwd: root });

/** Starts the NUT part from a config, as the app does, and prints its port once it listens. */
const SERVER_SCRIPT = `
import { NutPart } from './src/app/nut-part.ts';
import { validateConfig } from './src/config/load.ts';
import { createLogger } from './src/log.ts';
import { systemClock } from './src/util/clock.ts';
const config = validateConfig({ store: { path: ':memory:' }, ups: [{ name: 'rack', source: { kind: 'sim' } }],
  nut_server: { host: '${serverIp}', port: 0 } }, 'test', process.cwd(), {}).config;
const part = new NutPart({ config, ups: () => [], clock: systemClock, log: createLogger({ level: 'silent' }),
  baseDir: process.cwd() });
await part.start();
console.log('READY ' + JSON.stringify({ port: part.current().address().port, mdns: part.mdnsState() }));
process.on('SIGTERM', async () => { await part.stop(); process.exit(0); });
`;

/** One PTR query for _nut._tcp.local from the client namespace; prints every record heard within 3 s. */
const QUERY_SCRIPT = `
import mdns from 'multicast-dns';
const m = mdns({ interface: '${clientIp}', bind: '0.0.0.0' });
const seen = [];
m.on('response', (r) => { for (const a of [...r.answers, ...r.additionals]) seen.push({ name: a.name, type: a.type,
  data: a.type === 'TXT' ? a.data.map(String) : a.data }); });
m.query({ questions: [{ name: '_nut._tcp.local', type: 'PTR' }] });
setTimeout(() => m.query({ questions: [{ name: '_nut._tcp.local', type: 'PTR' }] }), 1000);
setTimeout(() => { console.log(JSON.stringify(seen)); m.destroy(); }, 3000);
`;

describeNetns('mDNS advertisement of the NUT server, across network namespaces', () => {
  let server: ChildProcess | null = null;
  let ready: { port: number; mdns: { state: string; name?: string } } | null = null;

  beforeAll(async () => {
    await run('ip', ['netns', 'add', nsServer]);
    await run('ip', ['netns', 'add', nsClient]);
    await run('ip', [
      'link',
      'add',
      'ugm0',
      'netns',
      nsServer,
      'type',
      'veth',
      'peer',
      'name',
      'ugm1',
      'netns',
      nsClient,
    ]);
    for (const [ns, dev, ip] of [
      [nsServer, 'ugm0', serverIp],
      [nsClient, 'ugm1', clientIp],
    ] as const) {
      await inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
      await inNs(ns, 'ip', ['addr', 'add', `${ip}/24`, 'dev', dev]);
      await inNs(ns, 'ip', ['link', 'set', dev, 'up']);
    }
    server = spawn('ip', ['netns', 'exec', nsServer, tsx, '--input-type=module', '-e', SERVER_SCRIPT], { cwd: root });
    let out = '';
    let err = '';
    server.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    ready = await new Promise((res, rej) => {
      const timer = setInterval(() => {
        const m = /READY (.*)/.exec(out);
        if (m) {
          clearInterval(timer);
          res(JSON.parse(m[1]!) as typeof ready);
        }
      }, 50);
      server!.once('exit', (code) => {
        clearInterval(timer);
        rej(new Error(`the NUT part exited ${String(code)}: ${err}${out}`));
      });
    });
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    spawnSync('ip', ['netns', 'del', nsServer], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', nsClient], { stdio: 'ignore' });
  }, 30_000);

  it('a query from the other namespace finds _nut._tcp with the port and address, and NUT answers there', async () => {
    expect(ready!.mdns.state).toBe('advertising');
    const { stdout } = await inNs(nsClient, process.execPath, ['--input-type=module', '-e', QUERY_SCRIPT]);
    const records = JSON.parse(stdout.trim()) as { name: string; type: string; data: unknown }[];
    const ptr = records.find((r) => r.type === 'PTR' && r.name === '_nut._tcp.local');
    expect(ptr, JSON.stringify(records)).toBeDefined();
    const instance = ptr!.data as string;
    expect(instance).toBe(`${ready!.mdns.name!}._nut._tcp.local`);
    const srv = records.find((r) => r.type === 'SRV' && r.name === instance)?.data as { port: number; target: string };
    expect(srv.port).toBe(ready!.port);
    expect(srv.target).toMatch(/\.local$/);
    const a = records.filter((r) => r.type === 'A' && r.name === srv.target).map((r) => r.data);
    expect(a).toContain(serverIp);
    // The advertised address and port are the NUT server's: a client from the other namespace is answered.
    const nut = await inNs(nsClient, process.execPath, [
      '--input-type=module',
      '-e',
      `import net from 'node:net'; const s = net.connect(${ready!.port}, '${serverIp}', () => s.write('NETVER\\n'));
       const t = setTimeout(() => { console.log('timeout'); s.destroy(); }, 3000);
       s.on('data', (d) => { console.log(d.toString().trim()); clearTimeout(t); s.destroy(); });`,
    ]);
    expect(nut.stdout.trim()).toBe('1.3');
  }, 30_000);
});
