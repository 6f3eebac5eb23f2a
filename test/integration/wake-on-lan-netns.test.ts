/**
 * Wake-on-LAN for real: a network namespace holds the "LAN" (one end of a veth pair, 10.214.x.2/24) with a UDP
 * listener on port 9; the other end stays here with 10.214.x.1/24, and the sender binds to it by interface name.
 * The packets go nowhere but that veth pair.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { macOfMagicPacket } from '../../src/shutdown/restore/magic-packet.js';
import { WakeOnLan } from '../../src/shutdown/restore/wol.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { describeWithPeers } from '../helpers/peers.js';
import { until } from '../helpers/until.js';

const run = promisify(execFile);
const works = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const describeNetns = describeWithPeers({ root: process.getuid?.() === 0, ip: works('ip', ['-V']) });

const tag = process.pid % 100_000;
const ns = `upsguard-wol-${process.pid}`;
const here = `ugw${tag}a`;
const there = `ugw${tag}b`;
const octet = 1 + (process.pid % 250);
const hereIp = `10.214.${octet}.1`;
const lanBroadcast = `10.214.${octet}.255`;

// Inside the namespace: every datagram on port 9, as hex with the sender's address, one line each.
const LISTENER = `
import { createSocket } from 'node:dgram';
const s = createSocket({ type: 'udp4', reuseAddr: true });
s.on('message', (m, r) => console.log(r.address + ' ' + m.toString('hex')));
s.bind(9, '0.0.0.0', () => console.log('listening'));
setTimeout(() => process.exit(0), 60000);
`;

describeNetns('Wake-on-LAN into a network namespace', () => {
  let listener: ChildProcess | null = null;
  const lines: string[] = [];

  beforeAll(async () => {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', ns]);
    await run('ip', ['addr', 'add', `${hereIp}/24`, 'broadcast', lanBroadcast, 'dev', here]);
    await run('ip', ['link', 'set', here, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `10.214.${octet}.2/24`, 'dev', there]);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', there, 'up']);
    await run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    listener = spawn('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', LISTENER], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    listener.stdout?.on('data', (b: Buffer) => {
      buf += b.toString();
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      lines.push(...parts);
    });
    await until('the listener in the namespace', () => lines.includes('listening'), 20_000);
  }, 60_000);

  afterAll(() => {
    listener?.kill('SIGKILL');
    spawnSync('ip', ['link', 'del', here], { stdio: 'ignore' });
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  const received = () =>
    lines
      .filter((l) => l !== 'listening')
      .map((l) => {
        const [from, hex] = l.split(' ');
        return { from, mac: macOfMagicPacket(Buffer.from(hex ?? '', 'hex')), bytes: (hex ?? '').length / 2 };
      });

  it('sends the magic packet for the configured MAC, `repeat` times, from the named interface to the broadcast', async () => {
    const wol = new WakeOnLan(
      'pve2',
      { mac: '52:54:00:AB:cd:07', broadcast: lanBroadcast, interface: here, port: 9, repeat: 3 },
      5000,
    );
    expect(wol.describe).toBe(`wake-on-lan 52:54:00:ab:cd:07 via ${lanBroadcast}:9`);
    await wol.powerOn();
    const got = await until('three packets', () => (received().length >= 3 ? received() : undefined), 10_000);
    expect(got).toHaveLength(3);
    for (const p of got) expect(p).toEqual({ from: hereIp, mac: '52:54:00:ab:cd:07', bytes: 102 });
  });

  it('an interface without an IPv4 address is a typed error naming it, and nothing is sent', async () => {
    lines.length = 0;
    lines.push('listening');
    const wol = new WakeOnLan(
      'pve3',
      { mac: '52:54:00:00:00:01', broadcast: lanBroadcast, interface: 'nosuch0', port: 9, repeat: 1 },
      2000,
    );
    const err = await wol.powerOn().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.DriverUnreachable);
    expect((err as Error).message).toContain('interface nosuch0 has no IPv4 address');
    expect(received()).toHaveLength(0);
  });
});
