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

/**
 * Builds the configured drivers (vsphere, proxmox, libvirt, ssh); sim and nut-secondaries are built by the service.
 * Each kind's code is loaded only when a driver of that kind is configured: an appliance that uses none (the demo)
 * does not carry them in memory.
 */
export async function createDrivers(
  configs: readonly DriverConfig[],
  deps: DriverDeps,
): Promise<Map<string, ShutdownDriver>> {
  const out = new Map<string, ShutdownDriver>();
  for (const c of configs) {
    if (!c.enabled) continue;
    out.set(c.name, await createDriver(c, deps));
  }
  return out;
}

async function createDriver(c: DriverConfig, deps: DriverDeps): Promise<ShutdownDriver> {
  switch (c.kind) {
    case 'proxmox':
      return new (await import('./proxmox.js')).ProxmoxDriver(c, deps.baseDir, deps.log, deps.clock);
    case 'libvirt':
      return new (await import('./libvirt.js')).LibvirtDriver(c, { baseDir: deps.baseDir });
    case 'ssh':
      return new (await import('./ssh.js')).SshDriver(c, { baseDir: deps.baseDir, now: () => deps.clock.now() });
    case 'vsphere':
      return new (await import('./vsphere.js')).VsphereDriver(c, {
        log: deps.log,
        baseDir: deps.baseDir,
        clock: deps.clock,
      });
  }
}
