// A real OpenSSH sshd on 127.0.0.1 for tests (peers.md §4): its own host key, a forced-command key whose
// "poweroff" is only written to a log, and a plain key for libvirt's test+ssh:// (it must run `nc -U`). Started in
// the foreground (-D) so the spawned PID is sshd's own, and stopped by that PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execBounded, fingerprintOf, tcpAnswers } from '../../src/shutdown/drivers/ssh/ssh-exec.js';
import { freePort } from './nut-peers.js';
import { until } from './until.js';

export const haveSshd = existsSync('/usr/sbin/sshd') && existsSync('/usr/bin/ssh-keygen') && process.getuid?.() === 0;

export interface Sshd {
  readonly port: number;
  readonly dir: string;
  /** The forced-command key (records the command) and a key sshd does not know. */
  readonly clientKey: string;
  readonly strangerKey: string;
  /** No forced command: for virsh over test+ssh://. */
  readonly virshKey: string;
  readonly hostKeySha256: string;
  /** known_hosts with the real host key, and one with another key for the same address. */
  readonly knownHosts: string;
  readonly wrongKnownHosts: string;
  /** The forced command's log: one `cmd=…` line per call. */
  commands(): string[];
  stop(): Promise<void>;
}

const FAKE_SHUTDOWN = `#!/bin/sh
# Records what the client asked for instead of doing it (upsguard tests).
echo "at=$(date -u +%s) user=$USER cmd=$SSH_ORIGINAL_COMMAND" >> "$(dirname "$0")/commands.log"
case "$SSH_ORIGINAL_COMMAND" in
  uptime) uptime; exit 0 ;;
  "sudo /sbin/poweroff"|/sbin/poweroff|poweroff|"shutdown -h now") echo "OK: poweroff scheduled (fake)"; exit 0 ;;
  *) echo "denied" >&2; exit 126 ;;
esac
`;

async function keygen(path: string): Promise<void> {
  const r = await execBounded(
    'ssh-keygen',
    ['-q', '-t', 'ed25519', '-N', '', '-C', 'upsguard-test', '-f', path],
    10_000,
  );
  if (r.code !== 0) throw new Error(`ssh-keygen ${path}: ${r.stderr}`);
}

const pub = (path: string): string => readFileSync(`${path}.pub`, 'utf8').trim();

export async function startSshd(dir: string): Promise<Sshd> {
  const [hostKey, otherHostKey, clientKey, virshKey, strangerKey] = [
    'hostkey',
    'otherhostkey',
    'clientkey',
    'virshkey',
    'strangerkey',
  ].map((n) => join(dir, n)) as [string, string, string, string, string];
  await Promise.all([hostKey, otherHostKey, clientKey, virshKey, strangerKey].map(keygen));
  const port = await freePort();
  const fake = join(dir, 'fake-shutdown.sh');
  writeFileSync(fake, FAKE_SHUTDOWN, { mode: 0o755 });
  writeFileSync(
    join(dir, 'authorized_keys'),
    `command="/bin/sh ${fake}",no-pty,no-port-forwarding ${pub(clientKey)}\nno-port-forwarding ${pub(virshKey)}\n`,
  );
  const conf = join(dir, 'sshd_config');
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'StrictModes no',
      'UsePAM no',
      'LogLevel VERBOSE',
    ].join('\n') + '\n',
  );
  mkdirSync('/run/sshd', { recursive: true });
  const hostPub = pub(hostKey).split(/\s+/);
  const line = (key: string[]): string => `[127.0.0.1]:${port} ${key[0] ?? ''} ${key[1] ?? ''}\n`;
  const knownHosts = join(dir, 'known_hosts');
  const wrongKnownHosts = join(dir, 'wrong_known_hosts');
  writeFileSync(knownHosts, line(hostPub));
  writeFileSync(wrongKnownHosts, line(pub(otherHostKey).split(/\s+/)));

  const log = openSync(join(dir, 'sshd.log'), 'a');
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', conf], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await until('sshd to listen', () => tcpAnswers('127.0.0.1', port, 500).then((ok) => ok || undefined), 10_000);
  } catch (err) {
    child.kill('SIGTERM');
    throw new Error(`${String(err)}; sshd.log: ${readFileSync(join(dir, 'sshd.log'), 'utf8')}`);
  }
  let stopped = false;
  return {
    port,
    dir,
    clientKey,
    strangerKey,
    virshKey,
    hostKeySha256: fingerprintOf(hostPub[1] ?? ''),
    knownHosts,
    wrongKnownHosts,
    commands: () => {
      const f = join(dir, 'commands.log');
      if (!existsSync(f)) return [];
      return readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/^.*? cmd=/, ''));
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      // Stopped means what a halted host looks like: nothing answers on the port any more (on a loaded machine the
      // daemon, or a session child still holding the socket, can outlive the signal for a while).
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await until('sshd to stop answering', async () => !(await tcpAnswers('127.0.0.1', port, 500)), 15_000, 100);
    },
  };
}
