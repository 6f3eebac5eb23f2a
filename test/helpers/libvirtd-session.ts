// A real libvirtd with its QEMU driver, for what the test driver refuses (libvirt 9's test driver has no
// virDomainAttachDeviceFlags). Run as an unprivileged user (nobody) it is a session daemon: its own config, state
// and socket under a temp HOME, QEMU under TCG as that user, nothing of the host's libvirt touched. Root's virsh
// reaches it through qemu+unix:///session?socket=…. Domains are destroyed and every process it started is ended
// by its own PID on stop.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { execBounded } from '../../src/shutdown/drivers/ssh/ssh-exec.js';
import { until } from './until.js';

const NOBODY = 65534;

export const haveQemuSession =
  existsSync('/usr/sbin/libvirtd') &&
  existsSync('/usr/bin/virsh') &&
  existsSync('/usr/bin/qemu-system-x86_64') &&
  existsSync('/usr/bin/setpriv') &&
  process.getuid?.() === 0;

export interface QemuSession {
  readonly uri: string;
  virsh(...args: string[]): Promise<string>;
  /** Defines a disk-less TCG domain with an xHCI controller (`extraDevices` inside <devices>); started if asked. */
  define(name: string, opts?: { start?: boolean; extraDevices?: string }): Promise<void>;
  stop(): Promise<void>;
}

function pidFrom(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export async function startQemuSession(dir: string): Promise<QemuSession> {
  const home = join(dir, 'home');
  const run = join(dir, 'run');
  mkdirSync(home, { recursive: true });
  mkdirSync(run, { recursive: true });
  chmodSync(dir, 0o755);
  for (const d of [home, run]) chownSync(d, NOBODY, NOBODY);
  const fd = openSync(join(dir, 'libvirtd.out'), 'a');
  const daemon: ChildProcess = spawn(
    '/usr/bin/setpriv',
    ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '/usr/sbin/libvirtd'],
    {
      stdio: ['ignore', fd, fd],
      env: { HOME: home, XDG_RUNTIME_DIR: run, PATH: '/usr/sbin:/usr/bin:/bin' },
    },
  );
  closeSync(fd);
  const socket = join(run, 'libvirt', 'libvirt-sock');
  const uri = `qemu+unix:///session?socket=${socket}`;
  const virsh = async (...args: string[]): Promise<string> => {
    const r = await execBounded('virsh', ['-q', '-c', uri, ...args], 30_000);
    if (r.code !== 0) throw new Error(`virsh ${args.join(' ')}: ${r.stderr || r.spawnError || 'timed out'}`);
    return r.stdout;
  };
  const stop = async (): Promise<void> => {
    try {
      const names = (await virsh('list', '--name')).split('\n').filter((l) => l.trim() !== '');
      for (const n of names) await virsh('destroy', n.trim()).catch(() => undefined);
    } catch {
      // The daemon is not answering: the QEMU processes are ended by their pid files below.
    }
    const qemuRun = join(run, 'libvirt', 'qemu', 'run');
    if (existsSync(qemuRun))
      for (const f of readdirSync(qemuRun)) if (f.endsWith('.pid')) killPid(pidFrom(join(qemuRun, f)));
    if (daemon.exitCode === null && daemon.pid !== undefined) {
      const gone = new Promise<void>((r) => daemon.once('exit', () => r()));
      daemon.kill('SIGTERM');
      const exited = await Promise.race([
        gone.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 5000)),
      ]);
      if (!exited) daemon.kill('SIGKILL');
    }
    // libvirtd spawned a virtlogd for this session user; it would linger for its idle timeout.
    killPid(pidFrom(join(run, 'libvirt', 'virtlogd.pid')));
  };
  try {
    await until('the session libvirtd socket', () => existsSync(socket) || undefined, 20_000);
    await until(
      'the session libvirtd to answer',
      () =>
        virsh('uri').then(
          () => true,
          () => undefined,
        ),
      10_000,
    );
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}; libvirtd: ${readFileSync(join(dir, 'libvirtd.out'), 'utf8').slice(-2000)}`);
  }
  return {
    uri,
    virsh,
    define: async (name, opts = {}) => {
      const xml =
        `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
        `<os><type arch='x86_64' machine='pc'>hvm</type></os><on_reboot>destroy</on_reboot>` +
        `<devices><emulator>/usr/bin/qemu-system-x86_64</emulator><controller type='usb' model='qemu-xhci'/>` +
        `<memballoon model='none'/>${opts.extraDevices ?? ''}</devices></domain>`;
      const file = join(home, `${name}.xml`);
      writeFileSync(file, xml, { mode: 0o644 });
      await virsh('define', file);
      if (opts.start === true) await virsh('start', name);
    },
    stop,
  };
}
