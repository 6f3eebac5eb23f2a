import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Clock } from '../../util/clock.js';
import type { SimCluster } from '../sim-cluster.js';
import type { CheckResult, HostReadiness, PowerState, ShutdownDriver, Target } from './driver.js';

/**
 * The driver for the simulated cluster. It behaves as a remote hypervisor does: each call takes a little time, a
 * target marked `fails` answers every call with an error, and power events can be awaited.
 */
export class SimDriver implements ShutdownDriver {
  constructor(
    readonly name: string,
    private readonly cluster: SimCluster,
    private readonly clock: Clock,
    private readonly latencyMs: number,
  ) {}

  async discover(): Promise<Target[]> {
    await this.latency();
    return this.cluster.nodes.map((n) => ({
      driver: this.name,
      name: n.name,
      kind: n.kind,
      host: n.host,
      tags: n.tags,
      macs: n.mac === undefined ? [] : [n.mac.toLowerCase()],
    }));
  }

  async check(): Promise<CheckResult[]> {
    await this.latency();
    const out: CheckResult[] = [{ ok: true, message: `${this.name}: simulated hypervisor reachable` }];
    for (const n of this.cluster.nodes) {
      out.push(
        n.fails
          ? { target: n.name, ok: false, message: `${n.name}: unreachable (simulated failure)` }
          : { target: n.name, ok: true, message: `${n.name}: reachable` },
      );
    }
    return out;
  }

  async powerState(target: Target): Promise<PowerState> {
    await this.reach(target);
    return this.cluster.get(target.name).power;
  }

  async shutdown(target: Target): Promise<void> {
    await this.reach(target);
    this.cluster.requestShutdown(target.name);
  }

  async powerOff(target: Target): Promise<void> {
    await this.reach(target);
    this.cluster.powerOff(target.name);
  }

  async powerOn(target: Target): Promise<void> {
    await this.reach(target);
    this.cluster.powerOn(target.name);
  }

  /** Resolves at the target's next transition (or when the time is up), as an event subscription would. */
  async waitForChange(target: Target, from: PowerState, timeoutMs: number): Promise<PowerState> {
    const now = this.cluster.get(target.name).power;
    if (now !== from) return now;
    const until = this.cluster.msUntilChange(target.name);
    const wait = until === null ? timeoutMs : Math.min(until, timeoutMs);
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, wait));
    return this.powerState(target);
  }

  /** A simulated host's platform answers once it has booted (its own services up), as a hypervisor's API would. */
  async hostReady(host: Target): Promise<HostReadiness> {
    await this.reach(host);
    const power = this.cluster.get(host.name).power;
    return power === 'on'
      ? { ready: true, message: `${host.name}: simulated hypervisor answering` }
      : { ready: false, message: `${host.name}: ${power}` };
  }

  /** The simulated VM's autostart flag: whether its host starts it when the host boots. */
  async autostart(vm: Target): Promise<boolean | undefined> {
    await this.reach(vm);
    const n = this.cluster.node(vm.name);
    return n?.kind === 'vm' ? n.autostart : undefined;
  }

  expectedDurationMs(target: Target, action: 'graceful' | 'hard'): number | undefined {
    const n = this.cluster.node(target.name);
    if (!n) return undefined;
    if (action === 'hard') return this.latencyMs;
    return n.ignoresGraceful ? undefined : this.cluster.expectedStopMs(target.name);
  }

  private async reach(target: Target): Promise<void> {
    await this.latency();
    const n = this.cluster.node(target.name);
    if (!n) throw new UpsguardError(ErrorCode.DriverFailure, `${this.name}: no target ${target.name}`);
    if (n.fails) throw new UpsguardError(ErrorCode.DriverFailure, `${this.name}: ${target.name} is unreachable`);
  }

  private latency(): Promise<void> {
    if (this.latencyMs <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, this.latencyMs));
  }
}
