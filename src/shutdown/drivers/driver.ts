/**
 * What the runner needs from a hypervisor, a host agent or any other kind of target. One implementation per kind
 * (vsphere, proxmox, libvirt, ssh, nut, sim), each in its own file. Every method may reject; the runner bounds each
 * call with its own timeout, so a driver need not.
 */
export type TargetKind = 'vm' | 'host';

export interface Target {
  /** The driver instance that owns it. */
  readonly driver: string;
  readonly name: string;
  readonly kind: TargetKind;
  /** For a VM: the host it runs on now. */
  readonly host?: string;
  readonly tags: readonly string[];
  /** MAC addresses, so the appliance can find its own VM. */
  readonly macs: readonly string[];
}

/** `stopping`: a shutdown was requested and has not finished (the hypervisor's guest state or task says so). */
export type PowerState = 'on' | 'stopping' | 'off' | 'booting' | 'unknown';

export interface CheckResult {
  /** The target checked, or undefined for the driver's own endpoint and credentials. */
  readonly target?: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface ShutdownDriver {
  readonly name: string;
  /** The targets it can see now. */
  discover(): Promise<Target[]>;
  /** Credentials and reachability of the endpoint and of each target. */
  check(): Promise<CheckResult[]>;
  powerState(target: Target): Promise<PowerState>;
  /** Asks for a graceful shutdown (guest OS / host halt); returns once the request is accepted, not when it is off. */
  shutdown(target: Target): Promise<void>;
  /** Cuts power at once. */
  powerOff(target: Target): Promise<void>;
  powerOn(target: Target): Promise<void>;
  /**
   * Drivers that can subscribe to power events (vSphere's WaitForUpdates, libvirt's lifecycle events) resolve as
   * soon as the state changes or the time is up; the runner polls the others.
   */
  waitForChange?(target: Target, from: PowerState, timeoutMs: number): Promise<PowerState>;
  /** What the driver knows of how long an action will take (the simulator does); used by dry runs for estimates. */
  expectedDurationMs?(target: Target, action: 'graceful' | 'hard'): number | undefined;
  /** A line for the run's journal once the target is done (NUT secondaries: who logged out, and when). */
  report?(target: Target): string | undefined;
  /**
   * The platform state a shutdown may change and the restore must put back: recorded before a run acts, per target
   * (Proxmox HA resource state, vSphere host maintenance mode). Drivers without such state leave it out.
   */
  platformState?(target: Target): Promise<PlatformState>;
  /**
   * Puts back what platformState recorded; does nothing where it already holds (the platform did it itself). Returns
   * a line saying what it did, or undefined when nothing was needed.
   */
  restorePlatform?(target: Target, before: PlatformState): Promise<string | undefined>;
  /**
   * Whether the platform answers for a host that is coming back: vSphere host connected, Proxmox node online and the
   * cluster quorate, the libvirt URI answering, the SSH host answering.
   */
  hostReady?(host: Target): Promise<HostReadiness>;
  /** A VM's autostart setting where the platform can tell (the daily check of upsguard's own VM); else undefined. */
  autostart?(vm: Target): Promise<boolean | undefined>;
}

/** What a restore must put back on the platform; every field optional, only what the driver knows. */
export interface PlatformState {
  /** Proxmox HA resource state before the run (`started`, `stopped`, `ignored`, …); absent when not HA-managed. */
  readonly haState?: string;
  /** vSphere host in maintenance mode before the run. */
  readonly maintenance?: boolean;
}

export interface HostReadiness {
  readonly ready: boolean;
  /** Why not, or what answered ("node online, cluster quorate"). */
  readonly message: string;
}

export type PowerAction = 'shutdown' | 'powerOff' | 'powerOn' | 'restorePlatform';

/**
 * Dry mode: every read goes through, every power action is recorded and skipped. The runner uses it for dry runs so a
 * dry run takes the very code path a real one does.
 */
export function dryDriver(
  inner: ShutdownDriver,
  record: (action: PowerAction, target: Target) => void,
): ShutdownDriver {
  const skip = (action: PowerAction) => (target: Target) => {
    record(action, target);
    return Promise.resolve();
  };
  return {
    name: inner.name,
    discover: () => inner.discover(),
    check: () => inner.check(),
    powerState: (t) => inner.powerState(t),
    shutdown: skip('shutdown'),
    powerOff: skip('powerOff'),
    powerOn: skip('powerOn'),
    expectedDurationMs: inner.expectedDurationMs?.bind(inner),
    report: inner.report?.bind(inner),
    ...(inner.platformState ? { platformState: inner.platformState.bind(inner) } : {}),
    ...(inner.hostReady ? { hostReady: inner.hostReady.bind(inner) } : {}),
    ...(inner.autostart ? { autostart: inner.autostart.bind(inner) } : {}),
    ...(inner.restorePlatform
      ? {
          restorePlatform: (t: Target) => {
            record('restorePlatform', t);
            return Promise.resolve(undefined);
          },
        }
      : {}),
  };
}
