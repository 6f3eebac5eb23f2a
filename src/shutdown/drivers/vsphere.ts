import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VsphereDriverConfig } from '../../config/driver-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { CheckResult, HostReadiness, PlatformState, PowerState, ShutdownDriver, Target } from './driver.js';
import { HOST_RESTORE_PATHS, autostartOf, hostReadiness, inMaintenance } from './vsphere/host-restore.js';
import { HOST_PATHS, Inventory, macsOf, refProp, text, type ObjectProps } from './vsphere/inventory.js';
import { VimSession } from './vsphere/session.js';
import { SoapTransport, moref, type MoRef, type TlsTrust } from './vsphere/soap.js';
import { child } from './vsphere/xml.js';
import type { Clock } from '../../util/clock.js';

interface Known {
  readonly ref: MoRef;
  readonly kind: 'vm' | 'host';
}

/** What discovery learnt of a VM beyond the Target (shown by check()). */
interface VmInfo {
  readonly tools: string;
  readonly power: string;
}

export interface VsphereDriverOptions {
  readonly log?: Logger;
  /** Where a relative ca_file is resolved. */
  readonly baseDir?: string;
  /** Task polling period (tests shorten it). */
  readonly taskPollMs?: number;
  /** Task polling runs on it (tests inject a manual clock). */
  readonly clock?: Clock;
}

function trustOf(c: VsphereDriverConfig, baseDir: string): TlsTrust {
  if (c.thumbprint_sha256 !== undefined) return { kind: 'thumbprint', sha256: c.thumbprint_sha256 };
  if (c.ca_file !== undefined) return { kind: 'ca', ca: readFileSync(resolve(baseDir, c.ca_file), 'utf8') };
  return { kind: 'insecure' };
}

export const sdkUrl = (url: string): string => `${url.replace(/\/+$/, '').replace(/\/sdk$/, '')}/sdk`;

const vmPower = (s: string | undefined): PowerState =>
  s === 'poweredOn' ? 'on' : s === 'poweredOff' || s === 'suspended' ? 'off' : 'unknown';

/**
 * vSphere (vCenter or standalone ESXi) over SOAP vim25. Discovery reads the whole inventory through one container
 * view; a VM's graceful shutdown is ShutdownGuest (accepted at once, the runner polls the power state) and fails with
 * the typed tools-missing error when Tools is not running, so the runner goes straight to PowerOffVM_Task. A host is
 * shut down with ShutdownHost_Task, after EnterMaintenanceMode_Task when `maintenance_mode` is set (then without
 * force, as vSphere requires); without it, force=true, because the plan has stopped the host's VMs in earlier phases.
 */
export class VsphereDriver implements ShutdownDriver {
  readonly name: string;
  private readonly session: VimSession;
  private readonly inventory: Inventory;
  private readonly known = new Map<string, Known>();
  private readonly vms = new Map<string, VmInfo>();
  private readonly stopping = new Set<string>();
  private readonly hostsShut = new Set<string>();
  private readonly taskPollMs: number;

  constructor(
    private readonly cfg: VsphereDriverConfig,
    opts: VsphereDriverOptions = {},
  ) {
    this.name = cfg.name;
    this.taskPollMs = opts.taskPollMs ?? 500;
    if (cfg.insecure) {
      opts.log?.warn(
        { driver: cfg.name, url: cfg.url },
        'vSphere certificate verification is OFF (insecure: true); pin thumbprint_sha256 instead',
      );
    }
    const transport = new SoapTransport({
      url: sdkUrl(cfg.url),
      trust: trustOf(cfg, opts.baseDir ?? process.cwd()),
      requestTimeoutMs: cfg.request_timeout_ms,
      secrets: [cfg.password],
    });
    this.session = new VimSession(transport, cfg.username, cfg.password);
    this.inventory = new Inventory(this.session, 1000, opts.clock);
  }

  /** SOAP calls made so far (the benchmark reports calls per target). */
  get calls(): number {
    return this.session.transport.calls;
  }

  /** Logins so far: 1 after the first call, one more after each expired session. */
  get logins(): number {
    return this.session.generation;
  }

  async discover(): Promise<Target[]> {
    const objects = await this.inventory.all();
    const hostNames = new Map<string, string>();
    for (const o of objects)
      if (o.ref.type === 'HostSystem') hostNames.set(o.ref.value, text(o, 'name') ?? o.ref.value);
    const out: Target[] = [];
    this.known.clear();
    for (const o of objects) {
      const name = text(o, 'name') ?? o.ref.value;
      if (o.ref.type === 'HostSystem') {
        this.known.set(name, { ref: o.ref, kind: 'host' });
        out.push({ driver: this.name, name, kind: 'host', tags: ['vsphere', 'host'], macs: [] });
      } else if (o.ref.type === 'VirtualMachine') {
        this.known.set(name, { ref: o.ref, kind: 'vm' });
        const tools = text(o, 'guest.toolsRunningStatus') ?? 'unknown';
        this.vms.set(name, { tools, power: text(o, 'runtime.powerState') ?? 'unknown' });
        const host = refProp(o, 'runtime.host');
        const hostName = host ? hostNames.get(host.value) : undefined;
        out.push({
          driver: this.name,
          name,
          kind: 'vm',
          ...(hostName === undefined ? {} : { host: hostName }),
          tags: ['vsphere', tools === 'guestToolsRunning' ? 'tools' : 'no-tools'],
          macs: macsOf(o),
        });
      }
    }
    return out;
  }

  /** Tools state per VM as last discovered (guestToolsRunning, guestToolsNotRunning, …). */
  toolsState(vm: string): string | undefined {
    return this.vms.get(vm)?.tools;
  }

  async check(): Promise<CheckResult[]> {
    try {
      const sc = await this.session.serviceContent();
      const targets = await this.discover();
      const out: CheckResult[] = [
        { ok: true, message: `${this.name}: logged in to ${sc.fullName} (${sc.apiType}), ${targets.length} targets` },
      ];
      for (const t of targets) {
        const vm = this.vms.get(t.name);
        if (t.kind === 'vm' && vm && vm.tools !== 'guestToolsRunning' && vm.power === 'poweredOn') {
          out.push({
            target: t.name,
            ok: false,
            message: `${t.name}: VMware Tools not running (${vm.tools}); it will get a hard power-off, not a guest shutdown`,
          });
        } else out.push({ target: t.name, ok: true, message: `${t.name}: reachable` });
      }
      return out;
    } catch (err) {
      return [{ ok: false, message: `${this.name}: ${this.session.redact(errorMessage(err))}` }];
    }
  }

  private async resolveTarget(t: Target): Promise<Known> {
    let k = this.known.get(t.name);
    if (!k) {
      await this.discover();
      k = this.known.get(t.name);
    }
    if (!k) throw new UpsguardError(ErrorCode.DriverNotFound, `${this.name}: no VM or host named ${t.name}`);
    return k;
  }

  async powerState(t: Target): Promise<PowerState> {
    const k = await this.resolveTarget(t);
    if (k.kind === 'vm') {
      const o = await this.inventory.one(k.ref, ['runtime.powerState'], `read the power state of ${t.name}`);
      const s = vmPower(text(o, 'runtime.powerState'));
      if (s === 'off') this.stopping.delete(t.name);
      return s === 'on' && this.stopping.has(t.name) ? 'stopping' : s;
    }
    let o: ObjectProps;
    try {
      o = await this.inventory.one(k.ref, HOST_PATHS, `read the power state of ${t.name}`);
    } catch (err) {
      // A standalone ESXi host that was told to shut down stops answering: that is the "off" we asked for.
      if (this.hostsShut.has(t.name) && err instanceof UpsguardError && err.code === ErrorCode.DriverUnreachable) {
        return 'off';
      }
      throw err;
    }
    const power = text(o, 'runtime.powerState');
    const conn = text(o, 'runtime.connectionState');
    if (power === 'poweredOff' || power === 'standBy') return 'off';
    // vCenter reports a host it shut down as notResponding: off as far as upsguard can tell.
    if (this.hostsShut.has(t.name) && conn !== undefined && conn !== 'connected') return 'off';
    if (power === 'poweredOn') return this.hostsShut.has(t.name) ? 'stopping' : 'on';
    return 'unknown';
  }

  async shutdown(t: Target): Promise<void> {
    const k = await this.resolveTarget(t);
    if (k.kind === 'host') return this.shutdownHost(t, k, !this.cfg.maintenance_mode);
    try {
      await this.session.call('ShutdownGuest', () => moref('_this', k.ref), `guest shutdown of ${t.name}`);
    } catch (err) {
      if (isFault(err, 'InvalidPowerState')) return; // already off: nothing to ask
      throw err;
    }
    this.stopping.add(t.name);
  }

  async powerOff(t: Target): Promise<void> {
    const k = await this.resolveTarget(t);
    if (k.kind === 'host') return this.shutdownHost(t, k, true);
    await this.runTask('PowerOffVM_Task', k.ref, `power-off of ${t.name}`, '', ['InvalidPowerState']);
  }

  async powerOn(t: Target): Promise<void> {
    const k = await this.resolveTarget(t);
    if (k.kind === 'host') {
      throw new UpsguardError(
        ErrorCode.DriverUnsupported,
        `${t.name}: vSphere cannot power a host on; it comes back with mains (BIOS "restore on AC power") or Wake-on-LAN`,
      );
    }
    this.stopping.delete(t.name);
    await this.runTask('PowerOnVM_Task', k.ref, `power-on of ${t.name}`, '', ['InvalidPowerState']);
  }

  /** A host's maintenance mode (the shutdown may enter it: `maintenance_mode`); VMs carry no platform state here. */
  async platformState(t: Target): Promise<PlatformState> {
    const k = await this.resolveTarget(t);
    if (k.kind !== 'host') return {};
    const m = inMaintenance(await this.inventory.one(k.ref, HOST_RESTORE_PATHS, `read maintenance mode of ${t.name}`));
    return m === undefined ? {} : { maintenance: m };
  }

  /** Takes a host out of maintenance mode when it was not in it before the run; never puts one in. */
  async restorePlatform(t: Target, before: PlatformState): Promise<string | undefined> {
    const k = await this.resolveTarget(t);
    if (k.kind !== 'host' || before.maintenance !== false) return undefined;
    const o = await this.inventory.one(k.ref, HOST_RESTORE_PATHS, `read maintenance mode of ${t.name}`);
    if (inMaintenance(o) !== true) return undefined;
    await this.runTask('ExitMaintenanceMode_Task', k.ref, `exit maintenance mode of ${t.name}`, '<timeout>0</timeout>');
    return `${t.name}: out of maintenance mode, as before the run`;
  }

  async hostReady(t: Target): Promise<HostReadiness> {
    try {
      const k = await this.resolveTarget(t);
      const o = await this.inventory.one(k.ref, HOST_RESTORE_PATHS, `read the state of ${t.name}`);
      const r = hostReadiness(o, t.name);
      if (r.ready) this.hostsShut.delete(t.name); // it is back: its power state is no longer "shut down by us"
      return r;
    } catch (err) {
      return { ready: false, message: `${t.name}: ${this.session.redact(errorMessage(err))}` };
    }
  }

  /** The VM's entry in its host's autostart configuration; undefined when the VM has no host or it reports none. */
  async autostart(t: Target): Promise<boolean | undefined> {
    const k = await this.resolveTarget(t);
    const host = k.kind === 'vm' && t.host !== undefined ? this.known.get(t.host) : undefined;
    if (!host) return undefined;
    return autostartOf(await this.inventory.one(host.ref, HOST_RESTORE_PATHS, `read autostart of ${t.host}`), k.ref);
  }

  private async shutdownHost(t: Target, k: Known, force: boolean): Promise<void> {
    if (!force) {
      await this.runTask(
        'EnterMaintenanceMode_Task',
        k.ref,
        `maintenance mode of ${t.name}`,
        '<timeout>0</timeout><evacuatePoweredOffVms>false</evacuatePoweredOffVms>',
      );
    }
    await this.runTask('ShutdownHost_Task', k.ref, `shutdown of host ${t.name}`, `<force>${force}</force>`);
    this.hostsShut.add(t.name);
  }

  /** Starts a task and waits for its end (bounded by task_timeout_ms); `okFaults` mean "already done". */
  private async runTask(
    method: string,
    ref: MoRef,
    what: string,
    args: string,
    okFaults: string[] = [],
  ): Promise<void> {
    try {
      const res = await this.session.call(method, () => `${moref('_this', ref)}${args}`, what);
      const rv = child(res, 'returnval');
      if (!rv) throw new UpsguardError(ErrorCode.DriverFailure, `${what}: vSphere returned no task`);
      await this.inventory.waitTask(
        { type: rv.attrs.type ?? 'Task', value: rv.text.trim() },
        what,
        this.cfg.task_timeout_ms,
        this.taskPollMs,
      );
    } catch (err) {
      if (okFaults.some((f) => isFault(err, f))) return;
      throw err;
    }
  }

  /** Ends the session on the server (vCenter limits concurrent sessions) and closes the sockets. */
  async close(): Promise<void> {
    try {
      await this.session.logout();
    } catch {
      // best effort: the session times out on the server anyway
    }
    this.session.transport.close();
  }
}

function isFault(err: unknown, type: string): boolean {
  return err instanceof UpsguardError && err.details.fault === type;
}
