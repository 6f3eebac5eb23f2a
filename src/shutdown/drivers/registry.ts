import type { DriverConfig } from '../../config/driver-schema.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import type { ShutdownDriver } from './driver.js';

export interface DriverDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** The config file's directory, for relative paths (keys, known_hosts, CA files). */
  readonly baseDir: string;
}

/** Builds the configured drivers (vsphere, proxmox, libvirt, ssh); sim and nut-secondaries are built by the service. */
export function createDrivers(configs: readonly DriverConfig[], deps: DriverDeps): Map<string, ShutdownDriver> {
  const out = new Map<string, ShutdownDriver>();
  for (const c of configs) {
    if (!c.enabled) continue;
    out.set(c.name, createDriver(c, deps));
  }
  return out;
}

function createDriver(c: DriverConfig, _deps: DriverDeps): ShutdownDriver {
  switch (c.kind) {
    case 'vsphere':
    case 'proxmox':
    case 'libvirt':
    case 'ssh':
      throw new Error(`driver ${c.name}: kind ${c.kind} is not implemented yet`);
  }
}
