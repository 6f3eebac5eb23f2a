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
}

export type PowerAction = 'shutdown' | 'powerOff' | 'powerOn';

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
  };
}
