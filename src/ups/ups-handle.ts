import type { UpsSnapshot } from './events.js';
import type { UpsCommand, WritableVariable } from './pdc/index.js';
import type { SimulatedUps } from './sim/simulated-ups.js';
import type { RelayStatus } from './transport/relay-transport.js';
import type { UpsSourceInfo } from './ups-source.js';

/** What is known about how a UPS is reached, beyond its readings. */
export interface UpsDiagnostics {
  /** The relay the UPS comes through (agent, link state, round trip, claim), when it does. */
  readonly relay: RelayStatus | null;
}

/**
 * One configured UPS as every other part sees it (policy, runner, NUT server, web, notifier, jobs): built once, so
 * there is one snapshot, one problem and one command queue per device.
 */
export interface UpsHandle {
  readonly name: string;
  readonly description?: string;
  snapshot(): UpsSnapshot;
  /** Why the UPS cannot be read right now, empty when it can. */
  problem(): string;
  info(): UpsSourceInfo;
  diagnostics(): UpsDiagnostics;
  supportedCommands(): readonly UpsCommand[];
  /** Goes through the device's own queue: commands from NUT, the runner and the jobs never interleave. */
  command(cmd: UpsCommand, opts?: { offDelay?: number; onDelay?: number }): Promise<void>;
  /** NUT view extras (RW variables, SET VAR, driver.*): present when the source has them. */
  writableVariables?(): readonly WritableVariable[];
  setVariable?(name: string, value: string): Promise<void>;
  driverVariables?(): Readonly<Record<string, string>>;
  /** Whether the load-off waits for its delay; null while unknown. */
  loadOffHonoursDelay(): boolean | null;
  /** The simulated UPS behind a sim source (demo, tests); undefined otherwise. */
  readonly simulated?: SimulatedUps;
}
