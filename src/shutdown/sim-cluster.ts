import type { DurationConfig, SimClusterConfig } from '../config/shutdown-schema.js';
import type { Clock } from '../util/clock.js';
import { Listeners } from '../util/listeners.js';

/**
 * A simulated cluster of hosts and VMs, a product part like the simulated UPS: the demo's plan runs against it, and
 * tests and benchmarks use it. Shutdown times follow configured distributions; some guests ignore a graceful
 * shutdown, some targets fail every call; hosts fed by a UPS lose power with its output and boot when it returns
 * (BIOS "restore on AC power loss"), then start their autostart VMs. State changes are computed lazily from the
 * clock, and every change is handed to a persistence hook so the cluster outlives the appliance process.
 */
export type SimPower = 'on' | 'stopping' | 'off' | 'booting';

export interface SimTargetState {
  power: SimPower;
  /** Wall ms when `stopping` becomes off or `booting` becomes on. Null while a stopping guest ignores the request. */
  changeAt: number | null;
  /** Hosts: whether their UPS output is on, to see a transition. */
  fed: boolean;
  /** Power actions that reached the target, for tests that prove nothing was repeated. */
  graceful: number;
  hard: number;
  powerOn: number;
  /** How many times power was cut under it or restored to it (not actions). */
  powerLost: number;
  /** How many times its power was cut while it was still running or halting: what a plan must never let happen. */
  uncleanCuts: number;
}

export interface SimClusterPersistence {
  load(): Map<string, SimTargetState>;
  save(name: string, state: SimTargetState): void;
}

export interface SimNode {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host?: string;
  readonly tags: readonly string[];
  readonly mac?: string;
  readonly ups?: string;
  readonly stopS: DurationConfig;
  readonly bootS: number;
  readonly ignoresGraceful: boolean;
  readonly fails: boolean;
  readonly autostart: boolean;
  /** Hosts: boots when its power returns (BIOS "restore on AC power loss"); VMs: true. */
  readonly restoreOnAc: boolean;
}

export type SimClusterEvents = { change: [name: string, state: Readonly<SimTargetState>] };

export function memoryPersistence(): SimClusterPersistence {
  const m = new Map<string, SimTargetState>();
  return { load: () => new Map([...m].map(([k, v]) => [k, { ...v }])), save: (n, s) => m.set(n, { ...s }) };
}

/** mulberry32: small, seedable, good enough to draw durations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The standard normal quantile, by the logistic approximation: one draw per duration keeps draws reproducible. */
function normal(u: number): number {
  const p = Math.min(Math.max(u, 1e-9), 1 - 1e-9);
  return Math.log(p / (1 - p)) / 1.702;
}

/** Log-normal with the given median and p90 (z90 = 1.2816). */
export function drawSeconds(d: DurationConfig, u: number): number {
  if (typeof d === 'number') return d;
  const sigma = d.p90 > d.median ? Math.log(d.p90 / d.median) / 1.2816 : 0;
  return d.median * Math.exp(sigma * normal(u));
}

export function medianSeconds(d: DurationConfig): number {
  return typeof d === 'number' ? d : d.median;
}

export function nodesOf(cfg: SimClusterConfig): SimNode[] {
  const out: SimNode[] = [];
  for (const h of cfg.hosts) {
    out.push({
      name: h.name,
      kind: 'host',
      tags: h.tags,
      mac: h.mac,
      ups: h.ups,
      stopS: h.halt_s,
      bootS: h.boot_s,
      ignoresGraceful: h.ignores_graceful,
      fails: h.fails,
      autostart: true,
      restoreOnAc: h.restore_on_ac,
    });
    for (const v of h.vms) {
      out.push({
        name: v.name,
        kind: 'vm',
        host: h.name,
        tags: v.tags,
        mac: v.mac,
        stopS: v.shutdown_s,
        bootS: v.boot_s,
        ignoresGraceful: v.ignores_graceful,
        fails: v.fails,
        autostart: v.autostart,
        restoreOnAc: true,
      });
    }
  }
  return out;
}

export class SimCluster {
  readonly events = new Listeners<SimClusterEvents>();
  readonly nodes: readonly SimNode[];
  private readonly byName = new Map<string, SimNode>();
  private readonly state: Map<string, SimTargetState>;
  /** The earliest pending transition, so reads with nothing due cost nothing (the runner reads a lot). */
  private nextDue = -Infinity;

  constructor(
    private readonly cfg: SimClusterConfig,
    private readonly clock: Clock,
    private readonly persistence: SimClusterPersistence = memoryPersistence(),
  ) {
    this.nodes = nodesOf(cfg);
    for (const n of this.nodes) this.byName.set(n.name, n);
    this.state = persistence.load();
    for (const n of this.nodes) {
      if (!this.state.has(n.name)) {
        const s: SimTargetState = {
          power: 'on',
          changeAt: null,
          fed: true,
          graceful: 0,
          hard: 0,
          powerOn: 0,
          powerLost: 0,
          uncleanCuts: 0,
        };
        this.state.set(n.name, s);
        persistence.save(n.name, s);
      }
    }
  }

  get timeScale(): number {
    return this.cfg.time_scale;
  }

  node(name: string): SimNode | undefined {
    return this.byName.get(name);
  }

  /** The settled state of a target now. */
  get(name: string): Readonly<SimTargetState> {
    this.settle();
    const s = this.state.get(name);
    if (!s) throw new Error(`no simulated target ${name}`);
    return s;
  }

  /** Wall ms a graceful stop of this target takes (its median), for dry-run estimates. */
  expectedStopMs(name: string): number {
    const n = this.byName.get(name);
    return n ? (medianSeconds(n.stopS) * 1000) / this.cfg.time_scale : 0;
  }

  /** Wall ms the `attempt`-th graceful stop of this target takes: drawn from its distribution, reproducibly. */
  stopMs(name: string, attempt: number): number {
    const n = this.mustNode(name);
    const u = rng(this.cfg.seed ^ hash(name) ^ Math.imul(attempt, 2654435761))();
    return this.wallMs(drawSeconds(n.stopS, u));
  }

  requestShutdown(name: string): void {
    const n = this.mustNode(name);
    const s = this.mut(name);
    s.graceful++;
    if (s.power === 'on' || s.power === 'booting') {
      s.power = 'stopping';
      s.changeAt = n.ignoresGraceful ? null : this.clock.now() + this.stopMs(name, s.graceful);
      if (s.changeAt !== null) this.nextDue = Math.min(this.nextDue, s.changeAt);
    }
    this.commit(name, s);
  }

  powerOff(name: string): void {
    this.mustNode(name);
    const s = this.mut(name);
    s.hard++;
    this.turnOff(name, s);
    this.commit(name, s);
  }

  powerOn(name: string): void {
    const n = this.mustNode(name);
    const s = this.mut(name);
    s.powerOn++;
    if (n.kind === 'host' && !this.state.get(name)?.fed) {
      this.commit(name, s);
      throw new Error(`${name}: no power (its UPS output is off)`);
    }
    if (n.kind === 'vm' && n.host !== undefined && this.get(n.host).power !== 'on') {
      this.commit(name, s);
      throw new Error(`${name}: its host ${n.host} is not on`);
    }
    if (s.power === 'off') this.boot(name, s);
    this.commit(name, s);
  }

  /** The output of a UPS went off or came back; hosts it feeds lose power or boot (only on a transition). */
  setFeed(ups: string, on: boolean): void {
    this.settle();
    for (const n of this.nodes) {
      if (n.kind !== 'host' || (n.ups !== undefined && n.ups !== ups)) continue;
      const s = this.mut(n.name);
      if (s.fed === on) continue;
      s.fed = on;
      s.powerLost++;
      if (on) {
        if (s.power === 'off' && n.restoreOnAc) this.boot(n.name, s);
      } else {
        if (s.power !== 'off') s.uncleanCuts += 1;
        this.turnOff(n.name, s);
      }
      this.commit(n.name, s);
    }
  }

  /** Wall ms until the next scheduled transition of this target, or null. */
  msUntilChange(name: string): number | null {
    const s = this.get(name);
    return s.changeAt === null ? null : Math.max(0, s.changeAt - this.clock.now());
  }

  /** Applies every transition that is due, in time order (a host coming up starts its VMs). */
  settle(): void {
    const now = this.clock.now();
    if (now < this.nextDue) return;
    for (;;) {
      const due: [string, number][] = [];
      for (const [name, st] of this.state)
        if (st.changeAt !== null && st.changeAt <= now) due.push([name, st.changeAt]);
      if (due.length === 0) break;
      due.sort((a, b) => a[1] - b[1]);
      for (const [name, at] of due) this.transition(name, at);
    }
    let next = Infinity;
    for (const st of this.state.values()) if (st.changeAt !== null && st.changeAt < next) next = st.changeAt;
    this.nextDue = next;
  }

  private transition(name: string, at: number): void {
    const s = this.mut(name);
    if (s.changeAt === null || s.changeAt > at) return;
    s.changeAt = null;
    if (s.power === 'stopping') this.turnOff(name, s);
    else if (s.power === 'booting') {
      s.power = 'on';
      const n = this.byName.get(name);
      if (n?.kind === 'host') {
        for (const vm of this.nodes) {
          if (vm.host !== name || !vm.autostart) continue;
          const vs = this.mut(vm.name);
          if (vs.power === 'off') {
            this.bootAt(vm.name, vs, at);
            this.commit(vm.name, vs);
          }
        }
      }
    }
    this.commit(name, s);
  }

  private turnOff(name: string, s: SimTargetState): void {
    s.power = 'off';
    s.changeAt = null;
    const n = this.byName.get(name);
    if (n?.kind !== 'host') return;
    // A host going down takes its guests with it.
    for (const vm of this.nodes) {
      if (vm.host !== name) continue;
      const vs = this.mut(vm.name);
      if (vs.power !== 'off') {
        vs.power = 'off';
        vs.changeAt = null;
        this.commit(vm.name, vs);
      }
    }
  }

  private boot(name: string, s: SimTargetState): void {
    this.bootAt(name, s, this.clock.now());
  }

  private bootAt(name: string, s: SimTargetState, at: number): void {
    const n = this.mustNode(name);
    s.power = 'booting';
    s.changeAt = at + this.wallMs(n.bootS);
    this.nextDue = Math.min(this.nextDue, s.changeAt);
  }

  private wallMs(modelS: number): number {
    return (modelS * 1000) / this.cfg.time_scale;
  }

  private mustNode(name: string): SimNode {
    const n = this.byName.get(name);
    if (!n) throw new Error(`no simulated target ${name}`);
    return n;
  }

  private mut(name: string): SimTargetState {
    const s = this.state.get(name);
    if (!s) throw new Error(`no simulated target ${name}`);
    return s;
  }

  private commit(name: string, s: SimTargetState): void {
    this.persistence.save(name, s);
    this.events.emit('change', name, s);
  }
}
