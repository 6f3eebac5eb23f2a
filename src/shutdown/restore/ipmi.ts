import type { IpmiConfig } from '../../config/restore-schema.js';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { execBounded, type ExecResult } from '../drivers/ssh/ssh-exec.js';
import type { HostPower, OutOfBandPower } from './host-power.js';

/** What `ipmitool chassis power status` prints → the power state. */
export function parsePowerStatus(stdout: string): OutOfBandPower {
  const m = /Chassis Power is (on|off)/i.exec(stdout);
  return m ? (m[1]!.toLowerCase() as 'on' | 'off') : 'unknown';
}

/** ipmitool's words → a typed error the owner can act on; never the password, which only ever travels in the env. */
export function classifyIpmiFailure(what: string, r: ExecResult, timeoutMs: number): UpsguardError {
  const text = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(Unable to Get Channel Cipher Suites|Loading IANA PEN Registry\.\.\.)$/.test(l))
    .join('; ')
    .slice(0, 300);
  const say = (code: ErrorCode, why: string) =>
    new UpsguardError(code, `${what}: ${why}${text ? ` (ipmitool: ${text})` : ''}`, { exit: r.code });
  if (r.spawnError !== undefined) return say(ErrorCode.DriverFailure, `cannot run ipmitool (${r.spawnError})`);
  if (r.timedOut) return say(ErrorCode.DriverTimeout, `the BMC did not answer within ${timeoutMs} ms`);
  // Order matters: a BMC that never answers also fails the session; only RAKP lines say the password was refused.
  if (/RAKP 2 HMAC is invalid|unauthorized name|RAKP \d message indicates an error|invalid (user|password)/i.test(text))
    return say(ErrorCode.DriverAuth, 'the BMC refused the user name or password');
  if (
    /Get Auth Capabilities error|Authentication Capabilities request|No response|Connection refused|Unable to establish/i.test(
      text,
    )
  )
    return say(ErrorCode.DriverUnreachable, 'the BMC does not answer');
  if (/Insufficient privilege|privilege level/i.test(text))
    return say(ErrorCode.DriverPermission, 'the BMC user may not control chassis power (needs operator or admin)');
  return say(ErrorCode.DriverFailure, `ipmitool failed with exit ${r.code ?? 'signal'}`);
}

export interface IpmiDeps {
  readonly timeoutMs: number;
  /** Replaces the ipmitool binary (tests point it at the same binary; nothing else differs). */
  readonly ipmitool?: string;
  /** How often to read the chassis state while it follows a power control. */
  readonly pollMs?: number;
}

/** IPMI over LAN through Debian's ipmitool: power on, status and a hard off, one bounded child process per call. */
export class IpmiPower implements HostPower {
  readonly describe: string;

  constructor(
    private readonly host: string,
    private readonly cfg: IpmiConfig,
    private readonly deps: IpmiDeps,
  ) {
    this.describe = `ipmi ${cfg.address}:${cfg.port}`;
  }

  async powerOn(): Promise<void> {
    await this.chassis('on');
    await this.until('on');
  }

  async hardOff(): Promise<void> {
    await this.chassis('off');
    await this.until('off');
  }

  async powerStatus(): Promise<OutOfBandPower> {
    return parsePowerStatus(await this.chassis('status'));
  }

  /** A BMC acknowledges a power control before the chassis follows: done means the BMC reads the new state. */
  private async until(want: 'on' | 'off'): Promise<void> {
    const end = Date.now() + this.deps.timeoutMs;
    for (;;) {
      if ((await this.powerStatus()) === want) return;
      if (Date.now() >= end) {
        throw new UpsguardError(
          ErrorCode.DriverTimeout,
          `${this.host}: the BMC accepted power ${want} but the chassis did not read ${want} within ${this.deps.timeoutMs} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, this.deps.pollMs ?? 250));
    }
  }

  private async chassis(action: 'on' | 'off' | 'status'): Promise<string> {
    const c = this.cfg;
    // -E: the password comes from IPMI_PASSWORD, so it is on no command line (ps) and in no error text.
    // -v: the RAKP lines that tell a refused password from a BMC that does not answer are printed only in verbose mode.
    const args = ['-v', '-I', c.interface, '-H', c.address, '-p', String(c.port), '-U', c.username, '-E'];
    if (c.interface === 'lanplus') args.push('-C', String(c.cipher_suite));
    args.push('-N', String(Math.max(1, Math.ceil(this.deps.timeoutMs / 3000))), '-R', '1', 'chassis', 'power', action);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', IPMI_PASSWORD: c.password };
    const r = await execBounded(this.deps.ipmitool ?? 'ipmitool', args, this.deps.timeoutMs, env);
    if (r.code !== 0) throw classifyIpmiFailure(`${this.host}: ipmi power ${action}`, r, this.deps.timeoutMs);
    return r.stdout;
  }
}
