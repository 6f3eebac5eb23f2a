import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProxmoxDriverConfig } from '../../config/driver-schema.js';
import { ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { peerText, redactError, redactSecrets } from '../../util/redact.js';
import type { CheckResult, HostReadiness, PlatformState, PowerState, ShutdownDriver, Target } from './driver.js';
import { haSid, haStateOf, nodeReadiness, restoreHaState, type PveCaller } from './proxmox/restore.js';
import { PveError, pveRequest, type PveHttpOptions } from './proxmox/http.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { sleep } from '../limits.js';

interface PveResource {
  id: string;
  type: 'qemu' | 'lxc';
  node: string;
  vmid: number;
  name?: string;
  status: string;
  hastate?: string;
  template?: number;
}

interface PveNode {
  node: string;
  status: 'online' | 'offline' | 'unknown';
}

interface Guest {
  readonly type: 'qemu' | 'lxc';
  readonly node: string;
  readonly vmid: number;
  readonly ha: boolean;
  /** `onboot: 1` in its config: the node starts it when it boots. */
  readonly onboot: boolean;
}

/** `startup: order=1,up=30,down=120` -> 1 */
export function startupOrder(startup: string | undefined): number | undefined {
  const m = /(?:^|,)order=(\d+)/.exec(startup ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * Proxmox VE over its API with an API token. Guests are discovered cluster-wide from /cluster/resources (QEMU and LXC
 * alike); a graceful shutdown is the guest's own shutdown task, the hard power-off its stop task (awaited), a node's
 * shutdown is `status command=shutdown`.
 *
 * HA: an HA-managed guest is taken down by setting its HA resource to `stopped` rather than shutting it down behind
 * HA's back. With the datacenter's default `shutdown_policy=conditional`, HA would otherwise restart (or move) the
 * guest onto the nodes that are about to go down next, chasing it through the cluster during the outage.
 *
 * Each guest's own startup order (`startup: order=N`) becomes a tag `pve-order:N`, so a plan can follow the order the
 * cluster already knows (higher orders stop first, as Proxmox's own stopall does).
 */
export class ProxmoxDriver implements ShutdownDriver {
  readonly name: string;
  private readonly http: PveHttpOptions;
  private readonly guests = new Map<string, Guest>();
  private readonly shutdownRequested = new Set<string>();

  constructor(
    private readonly cfg: ProxmoxDriverConfig,
    baseDir: string,
    log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.name = cfg.name;
    if (cfg.insecure) log.warn({ driver: cfg.name }, 'Proxmox certificate verification is OFF (insecure: true)');
    this.http = {
      baseUrl: cfg.url,
      tokenId: cfg.token_id,
      token: cfg.token ?? '',
      fingerprintSha256: cfg.fingerprint_sha256,
      ca: cfg.ca_file ? readFileSync(resolve(baseDir, cfg.ca_file), 'utf8') : undefined,
      insecure: cfg.insecure,
      timeoutMs: cfg.request_timeout_ms,
    };
  }

  private readonly caller: PveCaller = (method, path, params) => this.call(method, path, params);

  /** Every API call; whatever fails, the token is not in the error (the HTTP layer redacts, this is the backstop). */
  private async call<T>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    params?: Record<string, string | number>,
  ): Promise<T> {
    try {
      return await pveRequest<T>(this.http, method, path, params);
    } catch (err) {
      throw redactError(err, [this.http.token]);
    }
  }

  async discover(): Promise<Target[]> {
    const [resources, nodes] = await Promise.all([
      this.call<PveResource[]>('GET', '/cluster/resources', { type: 'vm' }),
      this.call<PveNode[]>('GET', '/nodes'),
    ]);
    const out: Target[] = [];
    for (const n of nodes) {
      out.push({ driver: this.name, name: n.node, kind: 'host', tags: ['proxmox'], macs: [] });
    }
    for (const r of resources) {
      if (r.template === 1) continue;
      const name = r.name ?? `${r.type}-${r.vmid}`;
      const ha = r.hastate !== undefined && r.hastate !== '';
      const conf = await this.call<{ startup?: string; agent?: string | number; onboot?: number | string }>(
        'GET',
        `/nodes/${r.node}/${r.type}/${r.vmid}/config`,
      );
      this.guests.set(name, { type: r.type, node: r.node, vmid: r.vmid, ha, onboot: String(conf.onboot) === '1' });
      const order = startupOrder(conf.startup);
      const tools = r.type === 'qemu' && r.status === 'running' ? await this.agentRunning(r, conf.agent) : null;
      out.push({
        driver: this.name,
        name,
        kind: 'vm',
        host: r.node,
        tags: [
          r.type,
          `vmid:${r.vmid}`,
          ...(ha ? ['ha'] : []),
          ...(order === undefined ? [] : [`pve-order:${order}`]),
          ...(tools === null ? [] : [tools ? 'tools' : 'no-tools']),
        ],
        macs: [],
      });
    }
    return out;
  }

  /**
   * Whether a QEMU guest's agent answers (its "guest tools"): without it, a graceful shutdown is an ACPI request the
   * guest may ignore. An agent not enabled in the VM's config is simply absent.
   */
  private async agentRunning(r: PveResource, agent: string | number | undefined): Promise<boolean> {
    const enabled = agent !== undefined && /^(1|enabled=1)/.test(String(agent));
    if (!enabled) return false;
    try {
      await this.call('POST', `/nodes/${r.node}/qemu/${r.vmid}/agent/ping`);
      return true;
    } catch {
      return false;
    }
  }

  async check(): Promise<CheckResult[]> {
    try {
      const v = await this.call<{ version: string }>('GET', '/version');
      const targets = await this.discover();
      return [{ ok: true, message: `Proxmox VE ${v.version}: ${targets.length} targets visible` }];
    } catch (err) {
      return [{ ok: false, message: redactSecrets(errorMessage(err), [this.http.token]) }];
    }
  }

  private guest(t: Target): Guest {
    const g = this.guests.get(t.name);
    if (!g) throw new PveError(ErrorCode.DriverNotFound, `${t.name} is not a guest this driver discovered`);
    return g;
  }

  async powerState(t: Target): Promise<PowerState> {
    if (t.kind === 'host') {
      let nodes: PveNode[];
      try {
        nodes = await this.call<PveNode[]>('GET', '/nodes');
      } catch (err) {
        // The node we talk to going down is what a node shutdown looks like from here.
        if (err instanceof PveError && err.code === ErrorCode.DriverUnreachable && this.shutdownRequested.has(t.name)) {
          return 'off';
        }
        throw err;
      }
      const n = nodes.find((x) => x.node === t.name);
      if (!n) throw new PveError(ErrorCode.DriverNotFound, `node ${t.name} is not in the cluster`);
      if (n.status === 'offline') return 'off';
      return this.shutdownRequested.has(t.name) ? 'stopping' : n.status === 'online' ? 'on' : 'unknown';
    }
    const g = this.guest(t);
    const s = await this.call<{ status: string }>('GET', `/nodes/${g.node}/${g.type}/${g.vmid}/status/current`);
    if (s.status === 'stopped') return 'off';
    return this.shutdownRequested.has(t.name) ? 'stopping' : 'on';
  }

  async shutdown(t: Target): Promise<void> {
    if (t.kind === 'host') {
      await this.call('POST', `/nodes/${t.name}/status`, { command: 'shutdown' });
      this.shutdownRequested.add(t.name);
      return;
    }
    const g = this.guest(t);
    if (g.ha) {
      await this.call('PUT', `/cluster/ha/resources/${haSid(g.type, g.vmid)}`, { state: 'stopped' });
    } else {
      // forceStop=0: the runner decides when to hard-stop, after the plan's timeout.
      await this.call('POST', `/nodes/${g.node}/${g.type}/${g.vmid}/status/shutdown`, {
        timeout: this.cfg.guest_timeout_s,
        forceStop: 0,
      });
    }
    this.shutdownRequested.add(t.name);
  }

  async powerOff(t: Target): Promise<void> {
    if (t.kind === 'host') {
      throw new PveError(
        ErrorCode.DriverFailure,
        `a Proxmox node cannot be powered off through the API; ${t.name} was asked to shut down`,
      );
    }
    const g = this.guest(t);
    const upid = await this.call<string>('POST', `/nodes/${g.node}/${g.type}/${g.vmid}/status/stop`, {
      'overrule-shutdown': 1,
    });
    await this.waitTask(g.node, upid);
  }

  /**
   * An HA guest is started by its HA resource (HA's CRM starts it); any other with its start task, awaited. A guest
   * already running is done, and so is one whose start task failed because it was started meanwhile (onboot, a user).
   */
  async powerOn(t: Target): Promise<void> {
    if (t.kind === 'host') return;
    const g = this.guest(t);
    this.shutdownRequested.delete(t.name);
    if (g.ha) {
      await this.call('PUT', `/cluster/ha/resources/${haSid(g.type, g.vmid)}`, { state: 'started' });
      return;
    }
    if ((await this.guestStatus(g)) === 'running') return;
    const upid = await this.call<string>('POST', `/nodes/${g.node}/${g.type}/${g.vmid}/status/start`);
    try {
      await this.waitTask(g.node, upid);
    } catch (err) {
      if ((await this.guestStatus(g)) === 'running') return;
      throw err;
    }
  }

  private async guestStatus(g: Guest): Promise<string> {
    const s = await this.call<{ status: string }>('GET', `/nodes/${g.node}/${g.type}/${g.vmid}/status/current`);
    return s.status;
  }

  /** A guest's requested HA state (the shutdown sets it to `stopped`); nothing for hosts and unmanaged guests. */
  async platformState(t: Target): Promise<PlatformState> {
    if (t.kind === 'host') return {};
    const g = this.guest(t);
    const haState = await haStateOf(this.caller, haSid(g.type, g.vmid));
    return haState === undefined ? {} : { haState };
  }

  async restorePlatform(t: Target, before: PlatformState): Promise<string | undefined> {
    if (t.kind === 'host' || before.haState === undefined) return undefined;
    const g = this.guest(t);
    return restoreHaState(this.caller, t.name, haSid(g.type, g.vmid), before.haState);
  }

  async hostReady(t: Target): Promise<HostReadiness> {
    const r = await nodeReadiness(this.caller, t.name);
    if (r.ready) this.shutdownRequested.delete(t.name); // back: its power state is no longer "stopping"
    return r;
  }

  /** HA guests come up when their HA state is `started` (HA ignores onboot); others when `onboot: 1`. */
  async autostart(t: Target): Promise<boolean | undefined> {
    if (t.kind === 'host') return undefined;
    if (!this.guests.has(t.name)) await this.discover(); // the daily check may ask a driver that has not discovered
    const g = this.guest(t);
    if (!g.ha) return g.onboot;
    return (await haStateOf(this.caller, haSid(g.type, g.vmid))) === 'started';
  }

  /** Polls a task until it stops; an exit status other than OK is the task's error. */
  private async waitTask(node: string, upid: string): Promise<void> {
    const deadline = this.clock.now() + this.cfg.task_timeout_s * 1000;
    for (;;) {
      const s = await this.call<{ status: string; exitstatus?: string }>(
        'GET',
        `/nodes/${node}/tasks/${encodeURIComponent(upid)}/status`,
      );
      if (s.status === 'stopped') {
        if (s.exitstatus !== 'OK')
          throw new PveError(
            ErrorCode.DriverFailure,
            `task ${upid} failed: ${s.exitstatus === undefined ? 'no exit status' : peerText(s.exitstatus, [this.http.token])}`,
          );
        return;
      }
      if (this.clock.now() > deadline) {
        throw new PveError(ErrorCode.DriverTimeout, `task ${upid} still running after ${this.cfg.task_timeout_s} s`);
      }
      await sleep(this.clock, this.cfg.task_poll_ms);
    }
  }
}
