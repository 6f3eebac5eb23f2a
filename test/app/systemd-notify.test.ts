import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemdNotify, notifyReady, notifyReloading } from '../../src/app/systemd-notify.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

/**
 * The notify socket systemd would own: a real unix datagram socket bound by a perl listener (perl-base is Essential
 * on Debian), printing each datagram it receives on a line of its own, "\n" inside one shown as "|".
 */
const LISTENER = [
  'use Socket; $| = 1;',
  'my $p = $ARGV[0]; $p =~ s/^@/\\0/;',
  'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";',
  'bind($s, pack_sockaddr_un($p)) or die "bind: $!";',
  'print "bound\\n";',
  'while (defined(recv($s, my $m, 4096, 0))) { $m =~ s/\\n/|/g; print "$m\\n"; }',
].join(' ');

interface Listener {
  readonly datagrams: string[];
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});

async function listen(address: string): Promise<Listener> {
  const child = spawn('perl', ['-e', LISTENER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.push(child);
  const lines: string[] = [];
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  await until('the listener to bind', () => lines[0] === 'bound');
  lines.shift();
  return { datagrams: lines };
}

const log = createLogger({ level: 'silent' });

describe('SystemdNotify', () => {
  it('sends READY, watchdog pings, RELOADING and STOPPING as datagrams to the notify socket', async () => {
    const path = join(tempDir(), 'notify.sock');
    const socket = await listen(path);
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000', KEEP: 'yes' };
    const notify = new SystemdNotify({ log, env });
    notify.start();
    expect(notify.active).toBe(true);
    expect(notify.watchdogIntervalMs).toBe(100);
    // Children of the service must not inherit the protocol's variables.
    expect(env).toEqual({ KEEP: 'yes' });

    notify.ready('serving 1 UPS');
    await until('three watchdog pings', () => socket.datagrams.filter((d) => d === 'WATCHDOG=1').length >= 3);
    expect(socket.datagrams.slice(0, 2)).toEqual(['READY=1', 'STATUS=serving 1 UPS']);

    notifyReloading(notify);
    notifyReady(notify);
    notify.stopping();
    notify.stop();
    await until('STOPPING', () => socket.datagrams.includes('STOPPING=1'));
    const after = socket.datagrams.filter((d) => d !== 'WATCHDOG=1');
    expect(after).toEqual(['READY=1', 'STATUS=serving 1 UPS', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  });

  it('reaches an abstract-namespace socket (NOTIFY_SOCKET=@name) and keeps a status on one line', async () => {
    const name = `@upsguard-test-${process.pid}-${Date.now()}`;
    const socket = await listen(name);
    const notify = new SystemdNotify({ log, env: { NOTIFY_SOCKET: name } });
    notify.start();
    expect(notify.watchdogIntervalMs).toBe(0);
    notify.ready('two\nlines');
    await until('READY and STATUS', () => socket.datagrams.length >= 2);
    notify.stop();
    expect(socket.datagrams).toEqual(['READY=1', 'STATUS=two lines']);
  });

  it('leaves the watchdog alone when WATCHDOG_PID names another process', async () => {
    const path = join(tempDir(), 'notify.sock');
    const socket = await listen(path);
    const notify = new SystemdNotify({ log, env: { NOTIFY_SOCKET: path, WATCHDOG_USEC: '200000', WATCHDOG_PID: '1' } });
    notify.start();
    expect(notify.watchdogIntervalMs).toBe(0);
    notify.ready();
    notify.stopping();
    await until('STOPPING', () => socket.datagrams.includes('STOPPING=1'));
    notify.stop();
    expect(socket.datagrams).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('does nothing without NOTIFY_SOCKET', () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '200000' };
    const notify = new SystemdNotify({ log, env, perl: '/nonexistent/perl' });
    notify.start();
    expect(notify.active).toBe(false);
    expect(notify.watchdogIntervalMs).toBe(0);
    notify.ready();
    notify.stopping();
    notify.stop();
    expect(env).toEqual({});
  });

  it('survives a helper that cannot start: logs it once and goes on', async () => {
    const lines: string[] = [];
    const recording = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } });
    const notify = new SystemdNotify({
      log: recording,
      env: { NOTIFY_SOCKET: '/nonexistent.sock' },
      perl: '/nonexistent/perl',
    });
    notify.start();
    notify.ready();
    await until('the failure to be logged', () => lines.some((l) => l.includes('cannot start the notify helper')));
    notify.ready();
    notify.stop();
    expect(lines.filter((l) => l.includes('notify helper'))).toHaveLength(1);
  });
});
