import { isAbsolute, resolve } from 'node:path';
import type { SshDriverConfig } from '../../config/driver-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { CheckResult, HostReadiness, PowerState, ShutdownDriver, Target } from './driver.js';
import {
  classifySshFailure,
  execBounded,
  matchingKeyLines,
  normaliseFingerprint,
  scratchFile,
  tcpAnswers,
  type ExecResult,
} from './ssh/ssh-exec.js';
import { peerText, redactKeyMaterial } from '../../util/redact.js';

type SshHost = SshDriverConfig['hosts'][number];

export interface SshDriverOptions {
  /** The config file's directory: relative key and known_hosts paths are taken from there. */
  readonly baseDir: string;
  readonly now?: () => number;
  /** For tests: other client binaries. */
  readonly sshPath?: string;
  readonly keyscanPath?: string;
}

const hhmmss = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * `ssh`: bare-metal hosts and NAS boxes halted by one command over the system OpenSSH client. Key authentication
 * only (BatchMode), the host key always pinned (StrictHostKeyChecking=yes against a known_hosts we choose), no
 * shell on our side. A halting host often drops the connection before ssh sees an exit status, so "off" is
 * confirmed by the host no longer accepting TCP connections on its SSH port, never by the command's exit.
 */
export class SshDriver implements ShutdownDriver {
  private readonly hosts: Map<string, SshHost>;
  private readonly sentAt = new Map<string, number>();
  private readonly silentAt = new Map<string, number>();
  /** known_hosts files built from verified fingerprints, per host name. */
  private readonly pinnedFiles = new Map<string, string>();
  private readonly now: () => number;

  constructor(
    private readonly cfg: SshDriverConfig,
    private readonly opts: SshDriverOptions,
  ) {
    this.hosts = new Map(cfg.hosts.map((h) => [h.name, h]));
    this.now = opts.now ?? Date.now;
  }

  get name(): string {
    return this.cfg.name;
  }

  private get connectTimeoutMs(): number {
    return this.cfg.connect_timeout_s * 1000;
  }

  discover(): Promise<Target[]> {
    return Promise.resolve(
      this.cfg.hosts.map((h) => ({
        driver: this.name,
        name: h.name,
        kind: 'host' as const,
        tags: ['ssh', ...h.tags],
        macs: [],
      })),
    );
  }

  async check(): Promise<CheckResult[]> {
    return Promise.all(
      this.cfg.hosts.map(async (h): Promise<CheckResult> => {
        try {
          const r = await this.run(h, h.check_command, 'check');
          const first = redactKeyMaterial(r.stdout).trim().split('\n')[0] ?? '';
          return { target: h.name, ok: true, message: `${h.check_command}: ${peerText(first, [], 200) || 'ok'}` };
        } catch (err) {
          return { target: h.name, ok: false, message: errorMessage(err) };
        }
      }),
    );
  }

  async powerState(t: Target): Promise<PowerState> {
    const h = this.host(t);
    if (await tcpAnswers(h.address, h.port, this.connectTimeoutMs)) return this.sentAt.has(h.name) ? 'stopping' : 'on';
    if (!this.sentAt.has(h.name)) return 'unknown';
    if (!this.silentAt.has(h.name)) this.silentAt.set(h.name, this.now());
    return 'off';
  }

  async shutdown(t: Target): Promise<void> {
    const h = this.host(t);
    this.sentAt.set(h.name, this.now());
    try {
      await this.run(h, h.command, 'shutdown', true);
    } catch (err) {
      this.sentAt.delete(h.name);
      throw err;
    }
  }

  powerOff(t: Target): Promise<void> {
    return Promise.reject(
      new UpsguardError(
        ErrorCode.DriverUnsupported,
        `${this.name}/${t.name}: a hard power-off is not possible over SSH; only the host's own shutdown can be asked for`,
      ),
    );
  }

  powerOn(t: Target): Promise<void> {
    return Promise.reject(
      new UpsguardError(
        ErrorCode.DriverUnsupported,
        `${this.name}/${t.name}: a host halted over SSH cannot be powered on over SSH; it needs Wake-on-LAN or IPMI ` +
          `configured for it (or its BIOS "restore on AC power")`,
      ),
    );
  }

  /**
   * Ready once sshd answers and the host's check_command runs, bounded by call_timeout_ms. The check command, not
   * `true`: a key restricted to a forced command runs that command whatever is asked, and check_command is the one
   * such a key is documented to allow (a forced halt command would halt the host that just came back).
   */
  async hostReady(t: Target): Promise<HostReadiness> {
    const h = this.host(t);
    try {
      await this.run(h, h.check_command, 'readiness');
    } catch (err) {
      return { ready: false, message: errorMessage(err) };
    }
    // Back: its power state is "on" again, not "stopping" after the shutdown it was sent.
    this.sentAt.delete(h.name);
    this.silentAt.delete(h.name);
    return { ready: true, message: `${this.name}/${h.name}: sshd answers, ${h.check_command} ran` };
  }

  report(t: Target): string | undefined {
    const sent = this.sentAt.get(t.name);
    if (sent === undefined) return undefined;
    const silent = this.silentAt.get(t.name);
    return `shutdown command sent at ${hhmmss(sent)}; ${silent === undefined ? 'still answering' : `stopped answering at ${hhmmss(silent)}`}`;
  }

  private host(t: Target): SshHost {
    const h = this.hosts.get(t.name);
    if (!h) throw new UpsguardError(ErrorCode.DriverNotFound, `${this.name}: no host named ${t.name} in its config`);
    return h;
  }

  private path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.opts.baseDir, p);
  }

  /**
   * Runs `command` on the host. `halting`: the connection dropping after authentication (exit 255, "closed by
   * remote host", or our time limit while the host has already gone silent) means the halt was accepted.
   */
  private async run(h: SshHost, command: string, action: string, halting = false): Promise<ExecResult> {
    const what = `${this.name}/${h.name} ${action} (${h.user}@${h.address}:${h.port})`;
    const knownHosts = await this.knownHostsFor(h, what);
    const args = [
      '-F',
      'none',
      '-i',
      this.path(h.key_file),
      '-p',
      String(h.port),
      '-l',
      h.user,
      ...[
        'BatchMode=yes',
        'IdentitiesOnly=yes',
        'PreferredAuthentications=publickey',
        'PasswordAuthentication=no',
        'KbdInteractiveAuthentication=no',
        'StrictHostKeyChecking=yes',
        `UserKnownHostsFile=${knownHosts}`,
        'GlobalKnownHostsFile=/dev/null',
        'UpdateHostKeys=no',
        `ConnectTimeout=${this.cfg.connect_timeout_s}`,
        // A host that halts without closing TCP would otherwise keep ssh waiting until our own limit.
        'ServerAliveInterval=2',
        'ServerAliveCountMax=2',
        'LogLevel=ERROR',
      ].flatMap((o) => ['-o', o]),
      '-T',
      '--',
      h.address,
      command,
    ];
    const timeout = this.cfg.call_timeout_ms;
    const r = await execBounded(this.opts.sshPath ?? 'ssh', args, timeout);
    if (r.code === 0) return r;
    const err = classifySshFailure(what, r, timeout);
    if (halting) {
      const dropped =
        r.code === 255 && (err.code === ErrorCode.DriverFailure || /closed by remote host/i.test(r.stderr));
      const silentNow = r.timedOut && !(await tcpAnswers(h.address, h.port, this.connectTimeoutMs));
      if (dropped || silentNow) return r;
    }
    throw err;
  }

  private async knownHostsFor(h: SshHost, what: string): Promise<string> {
    if (h.known_hosts !== undefined) return this.path(h.known_hosts);
    const ready = this.pinnedFiles.get(h.name);
    if (ready !== undefined) return ready;
    const pinned = normaliseFingerprint(h.host_key_sha256 ?? '');
    const timeoutMs = this.connectTimeoutMs + 1000;
    const scan = await execBounded(
      this.opts.keyscanPath ?? 'ssh-keyscan',
      ['-T', String(this.cfg.connect_timeout_s), '-p', String(h.port), '--', h.address],
      timeoutMs,
    );
    const lines = matchingKeyLines(scan.stdout, pinned);
    if (lines.length === 0) {
      if (scan.spawnError !== undefined || scan.timedOut) throw classifySshFailure(what, scan, timeoutMs);
      if (scan.stdout.trim() === '')
        throw new UpsguardError(ErrorCode.DriverUnreachable, `${what}: the host offered no host key (not answering?)`);
      throw new UpsguardError(
        ErrorCode.DriverHostKey,
        `${what}: no host key offered by the host has the pinned fingerprint ${pinned}; check the host or re-pin it`,
      );
    }
    const file = scratchFile('known_hosts', `${lines.join('\n')}\n`, 0o600);
    this.pinnedFiles.set(h.name, file);
    return file;
  }
}
