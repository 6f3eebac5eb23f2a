import { ErrorCode, UpsguardError } from '../../../errors.js';
import type { PowerState } from '../driver.js';
import { execBounded, scratchFile, type ExecResult } from '../ssh/ssh-exec.js';

/** `virsh domstate --reason` words → our power state. */
export function parseDomstate(line: string): { state: PowerState; text: string } {
  const text = line.trim();
  const s = text.replace(/\s*\(.*\)$/, '');
  switch (s) {
    case 'running':
    case 'idle':
    case 'paused':
    case 'pmsuspended':
    case 'blocked':
      return { state: 'on', text };
    case 'in shutdown':
      return { state: 'stopping', text };
    case 'shut off':
    case 'crashed':
      return { state: 'off', text };
    default:
      return { state: 'unknown', text };
  }
}

/** Quotes one argument for virsh's own command-line parser (used when several commands share one process). */
/**
 * The `Autostart:` line of `virsh dominfo` (`enable` / `disable`); undefined when the output has none (a libvirt that
 * does not report it). Parsed by key, so the other lines and their order do not matter.
 */
export function parseDominfoAutostart(out: string): boolean | undefined {
  for (const line of out.split('\n')) {
    const m = /^\s*Autostart:\s*(\S+)\s*$/i.exec(line);
    if (!m) continue;
    const v = (m[1] ?? '').toLowerCase();
    if (v === 'enable' || v === 'enabled' || v === 'yes') return true;
    if (v === 'disable' || v === 'disabled' || v === 'no') return false;
    return undefined;
  }
  return undefined;
}

export function virshQuote(arg: string): string {
  return `'${arg.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** virsh's own words → a typed error the user can act on. */
export function classifyVirshFailure(what: string, r: ExecResult, timeoutMs: number): UpsguardError {
  const text = r.stderr
    .split('\n')
    .map((l) => l.replace(/^error:\s*/, '').trim())
    .filter((l) => l !== '')
    .join('; ');
  const say = (code: ErrorCode, why: string): UpsguardError =>
    new UpsguardError(code, `${what}: ${why}${text ? ` (virsh: ${text.slice(0, 400)})` : ''}`, { exit: r.code });
  if (r.spawnError !== undefined) return say(ErrorCode.DriverFailure, `cannot run virsh (${r.spawnError})`);
  if (r.timedOut) return say(ErrorCode.DriverTimeout, `timed out after ${timeoutMs} ms`);
  if (/failed to get domain|Domain not found|no domain with matching/i.test(text))
    return say(ErrorCode.DriverNotFound, 'no such domain on this hypervisor');
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(text))
    return say(ErrorCode.DriverHostKey, "the hypervisor's SSH host key does not match the pinned one");
  if (/authentication (failed|unavailable)|Permission denied \((publickey|password)/i.test(text))
    return say(ErrorCode.DriverAuth, 'the hypervisor refused the credentials');
  if (/access denied|Permission denied|read-only access|operation forbidden/i.test(text))
    return say(
      ErrorCode.DriverPermission,
      'the connection may not do this (libvirt ACL, polkit or socket permissions)',
    );
  if (
    /Failed to connect socket|failed to connect to the hypervisor|Connection refused|No route to host|Could not resolve hostname|Cannot recv data|End of file while reading|unable to connect|Network is unreachable|Connection timed out/i.test(
      text,
    )
  )
    return say(ErrorCode.DriverUnreachable, 'the hypervisor does not answer');
  return say(ErrorCode.DriverFailure, `virsh failed with exit ${r.code ?? 'signal'}`);
}

export interface VirshOptions {
  readonly uri: string;
  readonly timeoutMs: number;
  /** For +ssh URIs. */
  readonly keyFile?: string;
  readonly knownHosts?: string;
  readonly virshPath?: string;
}

/**
 * One libvirt connection as virsh sees it. For `+ssh` URIs the key goes into the URI's `keyfile`, and a pinned
 * known_hosts through a small `command=` wrapper, because libvirt's ssh transport has no option for it and would
 * otherwise use ~/.ssh/known_hosts.
 */
export class Virsh {
  readonly uri: string;
  calls = 0;

  constructor(private readonly opts: VirshOptions) {
    this.uri = withSshOptions(opts);
  }

  /** Runs one virsh command; rejects with a typed error. */
  async run(args: readonly string[], what: string): Promise<string> {
    this.calls++;
    const r = await execBounded(this.opts.virshPath ?? 'virsh', ['-q', '-c', this.uri, ...args], this.opts.timeoutMs);
    if (r.code !== 0) throw classifyVirshFailure(what, r, this.opts.timeoutMs);
    return r.stdout;
  }

  /**
   * Several commands in one virsh process (one connection, one SSH handshake), each output after a marker. virsh
   * goes on after a failing command; a failed command's section is empty and its error is in stderr.
   */
  async batch(commands: readonly string[], what: string): Promise<string[]> {
    if (commands.length === 0) return [];
    const mark = (i: number): string => `@@upsguard-${i}@@`;
    const line = commands.map((c, i) => `echo ${mark(i)}; ${c}`).join('; ');
    const out = await this.run([line], what);
    return commands.map((_, i) => {
      const start = out.indexOf(mark(i));
      if (start < 0) return '';
      const from = start + mark(i).length;
      const end = out.indexOf(mark(i + 1), from);
      return out.slice(from, end < 0 ? undefined : end).trim();
    });
  }
}

function withSshOptions(o: VirshOptions): string {
  if (o.keyFile === undefined && o.knownHosts === undefined) return o.uri;
  const u = new URL(o.uri);
  if (!u.protocol.includes('+ssh')) return o.uri;
  if (o.keyFile !== undefined && !u.searchParams.has('keyfile')) u.searchParams.set('keyfile', o.keyFile);
  if (o.knownHosts !== undefined && !u.searchParams.has('command')) {
    const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const wrapper = scratchFile(
      'virsh-ssh',
      `#!/bin/sh\nexec ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${q(o.knownHosts)} -o GlobalKnownHostsFile=/dev/null "$@"\n`,
      0o700,
    );
    u.searchParams.set('command', wrapper);
    u.searchParams.delete('no_verify');
  }
  return u.toString();
}
