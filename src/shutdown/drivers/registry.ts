import type { DriverConfig } from '../../config/driver-schema.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import type { ShutdownDriver } from './driver.js';
import { LibvirtDriver } from './libvirt.js';
import { ProxmoxDriver } from './proxmox.js';
import { SshDriver } from './ssh.js';
import { VsphereDriver } from './vsphere.js';

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

function createDriver(c: DriverConfig, deps: DriverDeps): ShutdownDriver {
  switch (c.kind) {
    case 'proxmox':
      return new ProxmoxDriver(c, deps.baseDir, deps.log);
    case 'libvirt':
      return new LibvirtDriver(c, { baseDir: deps.baseDir });
    case 'ssh':
      return new SshDriver(c, { baseDir: deps.baseDir, now: () => deps.clock.now() });
    case 'vsphere':
      return new VsphereDriver(c, { log: deps.log, baseDir: deps.baseDir });
  }
}
