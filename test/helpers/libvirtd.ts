// libvirt's test driver inside a real libvirtd on a unix socket in a temp dir (peers.md §3.2), so domain state lasts
// across virsh calls. An "anchor" connection (`virsh event --loop`) keeps the shared default state alive and its
// output is the lifecycle event log. Both are started in the foreground and stopped by their own PIDs.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execBounded } from '../../src/shutdown/drivers/ssh/ssh-exec.js';
import { until } from './until.js';

export const haveLibvirtd =
  existsSync('/usr/sbin/libvirtd') && existsSync('/usr/bin/virsh') && process.getuid?.() === 0;

export interface Libvirtd {
  readonly dir: string;
  readonly socket: string;
  /** test+unix URI of the shared default node (domain `test`, running). */
  readonly uri: string;
  /** Runs virsh against the daemon; rejects on a non-zero exit. */
  virsh(...args: string[]): Promise<string>;
  /** Adds and starts domains `<prefix>0..n-1` in one virsh process. */
  addDomains(prefix: string, n: number, running?: boolean): Promise<void>;
  events(): string[];
  stop(): Promise<void>;
}

function spawnLogged(cmd: string, args: string[], log: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(child.pid, 'SIGTERM');
  await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
}

export async function startLibvirtd(dir: string): Promise<Libvirtd> {
  const run = join(dir, 'run');
  const emptyDrivers = join(dir, 'emptydrv');
  mkdirSync(run, { recursive: true });
  mkdirSync(emptyDrivers, { recursive: true });
  const conf = join(dir, 'libvirtd.conf');
  writeFileSync(
    conf,
    [
      `unix_sock_dir = "${run}"`,
      'unix_sock_group = "root"',
      'unix_sock_rw_perms = "0770"',
      'auth_unix_ro = "none"',
      'auth_unix_rw = "none"',
      'listen_tls = 0',
      'listen_tcp = 0',
      `log_outputs = "3:file:${join(dir, 'libvirtd.log')}"`,
    ].join('\n') + '\n',
  );
  // The qemu driver module fails to initialise without the libvirt-qemu user: an empty module dir leaves it out.
  const daemon = spawnLogged(
    '/usr/sbin/libvirtd',
    ['-f', conf, '-p', join(run, 'libvirtd.pid')],
    join(dir, 'libvirtd.out'),
    {
      ...process.env,
      LIBVIRT_DRIVER_DIR: emptyDrivers,
    },
  );
  const socket = join(run, 'libvirt-sock');
  const uri = `test+unix:///default?socket=${socket}`;
  const virsh = async (...args: string[]): Promise<string> => {
    const r = await execBounded('virsh', ['-q', '-c', uri, ...args], 20_000);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr || r.spawnError || 'timed out'}`);
    return r.stdout;
  };
  let anchor: ChildProcess | undefined;
  try {
    await until('libvirtd socket', () => existsSync(socket) || undefined, 15_000);
    await until(
      'libvirtd to answer',
      () =>
        virsh('uri').then(
          () => true,
          () => undefined,
        ),
      10_000,
    );
    anchor = spawnLogged('virsh', ['-c', uri, 'event', '--all', '--loop', '--timestamp'], join(dir, 'events.log'));
    // The anchor holds the state once its connection is open: a suspend seen by the next process proves it.
    await until(
      'the anchor connection',
      async () => {
        await virsh('suspend test');
        const kept = (await virsh('domstate test')).trim() === 'paused';
        if (kept) await virsh('resume test');
        return kept || undefined;
      },
      10_000,
    );
  } catch (err) {
    if (anchor) await stopChild(anchor);
    await stopChild(daemon);
    const log = existsSync(join(dir, 'libvirtd.out')) ? readFileSync(join(dir, 'libvirtd.out'), 'utf8') : '';
    throw new Error(`${String(err)}; libvirtd: ${log.slice(-2000)}`);
  }
  const anchored = anchor;
  return {
    dir,
    socket,
    uri,
    virsh,
    addDomains: async (prefix, n, running = true) => {
      const cmds: string[] = [];
      for (let i = 0; i < n; i++) {
        const file = join(dir, `${prefix}${i}.xml`);
        writeFileSync(
          file,
          `<domain type='test'><name>${prefix}${i}</name><memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os>` +
            `<devices><interface type='network'><mac address='52:54:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}'/><source network='default'/></interface></devices></domain>`,
        );
        cmds.push(`define ${file}`);
        if (running) cmds.push(`start ${prefix}${i}`);
      }
      await virsh(cmds.join('; '));
    },
    events: () =>
      readFileSync(join(dir, 'events.log'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('event ')),
    stop: async () => {
      await stopChild(anchored);
      await stopChild(daemon);
    },
  };
}
