import { isAbsolute, resolve } from 'node:path';
import type { LibvirtDriverConfig } from '../../config/driver-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { CheckResult, HostReadiness, PowerState, ShutdownDriver, Target } from './driver.js';
import { Virsh, parseDominfoAutostart, parseDomstate, virshQuote } from './libvirt/virsh.js';

export interface LibvirtDriverOptions {
  /** The config file's directory: relative key and known_hosts paths are taken from there. */
  readonly baseDir: string;
  /** For tests: another virsh binary. */
  readonly virshPath?: string;
}

// qemu: "domain is not running"; the test driver: "domain 'web' not running".
const NOT_RUNNING = /domain (?:'[^']*' )?(?:is )?not running/i;
const MAC = /\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i;

/**
 * `libvirt`: the domains of one libvirt connection (any URI: qemu:///system, qemu+ssh://…), through `virsh`.
 * Graceful is `virsh shutdown` (asynchronous: the runner polls `domstate`), hard is `destroy`. The hypervisor host
 * itself is not a target here: libvirt cannot halt it, an `ssh` driver does (config `host`, `host_ssh`).
 * Discovery costs two virsh processes whatever the number of domains: the names, then every domain's state and
 * interfaces in one batch, because each virsh process means a new connection (and over SSH a new handshake).
 */
export class LibvirtDriver implements ShutdownDriver {
  readonly virsh: Virsh;

  constructor(
    private readonly cfg: LibvirtDriverConfig,
    opts: LibvirtDriverOptions,
  ) {
    const path = (p: string | undefined): string | undefined =>
      p === undefined || isAbsolute(p) ? p : resolve(opts.baseDir, p);
    this.virsh = new Virsh({
      uri: cfg.uri,
      timeoutMs: cfg.call_timeout_ms,
      keyFile: path(cfg.ssh_key_file),
      knownHosts: path(cfg.ssh_known_hosts),
      virshPath: opts.virshPath,
    });
  }

  get name(): string {
    return this.cfg.name;
  }

  private what(action: string, dom?: string): string {
    return `${this.name}${dom === undefined ? '' : `/${dom}`} ${action}`;
  }

  async discover(): Promise<Target[]> {
    const names = await this.listNames();
    const sections = await this.virsh.batch(
      names.map((n) => `domiflist ${virshQuote(n)}`),
      this.what('discovery'),
    );
    const agents = await this.guestAgents(names);
    return names.map((n, i) => {
      const macs = (sections[i] ?? '')
        .split('\n')
        .map((l) => MAC.exec(l)?.[1]?.toLowerCase())
        .filter((m): m is string => m !== undefined);
      const agent = agents.get(n);
      return {
        driver: this.name,
        name: n,
        kind: 'vm' as const,
        ...(this.cfg.host === undefined ? {} : { host: this.cfg.host }),
        tags: ['libvirt', ...(agent === undefined ? [] : [agent ? 'tools' : 'no-tools'])],
        macs,
      };
    });
  }

  /**
   * Whether each running domain's QEMU guest agent answers (its "guest tools": without it a shutdown is an ACPI
   * request the guest may ignore). A hypervisor whose libvirt driver has no agent channel (the test driver, LXC) gives
   * no answer at all: then the state stays unknown for every domain rather than reading as "no tools".
   */
  private async guestAgents(names: readonly string[]): Promise<Map<string, boolean>> {
    const out = new Map<string, boolean>();
    let states: Map<string, { state: PowerState }>;
    try {
      states = await this.states(names);
    } catch {
      return out;
    }
    for (const [name, st] of states) {
      if (st.state !== 'on') continue;
      try {
        await this.virsh.run(
          ['qemu-agent-command', '--domain', name, '--timeout', '2', '{"execute":"guest-ping"}'],
          this.what('agent ping', name),
        );
        out.set(name, true);
      } catch (err) {
        if (/not supported by (the )?connection driver|function is not supported/i.test(errorMessage(err))) {
          return new Map();
        }
        out.set(name, false);
      }
    }
    return out;
  }

  /** Every domain's state in one virsh process, for the plan view and dry runs. */
  async states(known?: readonly string[]): Promise<Map<string, { state: PowerState; text: string }>> {
    const names = known ?? (await this.listNames());
    const sections = await this.virsh.batch(
      names.map((n) => `domstate ${virshQuote(n)} --reason`),
      this.what('states'),
    );
    return new Map(names.map((n, i) => [n, parseDomstate(sections[i] ?? '')]));
  }

  async check(): Promise<CheckResult[]> {
    try {
      const states = await this.states();
      const on = [...states.values()].filter((s) => s.state === 'on').length;
      return [{ ok: true, message: `${this.virsh.uri}: ${states.size} domains, ${on} running` }];
    } catch (err) {
      return [{ ok: false, message: errorMessage(err) }];
    }
  }

  async powerState(t: Target): Promise<PowerState> {
    return parseDomstate(await this.virsh.run(['domstate', '--domain', t.name, '--reason'], this.what('state', t.name)))
      .state;
  }

  /** Already shut off counts as done, so a resumed run does not fail on a domain it already stopped. */
  async shutdown(t: Target): Promise<void> {
    await this.act(['shutdown', '--domain', t.name], 'graceful shutdown', t, NOT_RUNNING);
  }

  async powerOff(t: Target): Promise<void> {
    await this.act(['destroy', '--domain', t.name], 'destroy', t, NOT_RUNNING);
  }

  async powerOn(t: Target): Promise<void> {
    await this.act(['start', '--domain', t.name], 'start', t, /already (active|running)/i);
  }

  /**
   * The host is ready once its libvirt URI answers: `virsh version` connects (over SSH for +ssh URIs) and asks the
   * daemon, bounded by call_timeout_ms. Any host name maps to this driver's one connection.
   */
  async hostReady(host: Target): Promise<HostReadiness> {
    try {
      const out = await this.virsh.run(['version'], this.what('version'));
      const hv = /Running hypervisor:\s*(.+)/.exec(out)?.[1]?.trim();
      return { ready: true, message: `${host.name}: ${this.cfg.uri} answers${hv === undefined ? '' : ` (${hv})`}` };
    } catch (err) {
      return { ready: false, message: `${host.name}: ${errorMessage(err)}` };
    }
  }

  /** The domain's autostart flag (`virsh dominfo`), which libvirtd acts on when it starts. */
  async autostart(t: Target): Promise<boolean | undefined> {
    return parseDominfoAutostart(await this.virsh.run(['dominfo', '--domain', t.name], this.what('dominfo', t.name)));
  }

  private async act(args: string[], action: string, t: Target, alreadyDone: RegExp): Promise<void> {
    try {
      await this.virsh.run(args, this.what(action, t.name));
    } catch (err) {
      if (err instanceof UpsguardError && err.code === ErrorCode.DriverFailure && alreadyDone.test(err.message)) return;
      throw err;
    }
  }

  private async listNames(): Promise<string[]> {
    const out = await this.virsh.run(['list', '--all', '--name'], this.what('list'));
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
  }
}
