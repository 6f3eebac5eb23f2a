import type { HostReadiness } from '../driver.js';
import { text, type ObjectProps } from './inventory.js';
import type { MoRef } from './soap.js';
import { child, childrenNamed } from './xml.js';

/** What the restore reads of a host: readiness, maintenance mode, and the host's VM autostart configuration. */
export const HOST_RESTORE_PATHS = [
  'runtime.powerState',
  'runtime.connectionState',
  'runtime.inMaintenanceMode',
  'config.autoStart',
];

export const inMaintenance = (o: ObjectProps): boolean | undefined => {
  const m = text(o, 'runtime.inMaintenanceMode');
  return m === undefined ? undefined : m === 'true';
};

/** Ready once vSphere reports the host connected and powered on (a host still booting is notResponding). */
export function hostReadiness(o: ObjectProps, name: string): HostReadiness {
  const conn = text(o, 'runtime.connectionState') ?? 'unknown';
  const power = text(o, 'runtime.powerState') ?? 'unknown';
  if (conn !== 'connected') return { ready: false, message: `${name}: connection state ${conn}` };
  if (power !== 'poweredOn') return { ready: false, message: `${name}: power state ${power}` };
  const maint = inMaintenance(o) === true ? ', in maintenance mode' : '';
  return { ready: true, message: `${name}: connected, powered on${maint}` };
}

/**
 * Whether the host starts this VM by itself when it boots (HostAutoStartManagerConfig): only when autostart is
 * enabled on the host AND the VM's own entry says powerOn. ESXi starts nothing on a host whose autostart is off,
 * whatever a VM's entry says; a VM without an entry is in the "manual startup" group. Undefined when the host does not
 * report the configuration at all.
 */
export function autostartOf(host: ObjectProps, vm: MoRef): boolean | undefined {
  const cfg = host.props.get('config.autoStart');
  if (!cfg) return undefined;
  if (child(child(cfg, 'defaults'), 'enabled')?.text.trim() !== 'true') return false;
  const entry = childrenNamed(cfg, 'powerInfo').find((p) => child(p, 'key')?.text.trim() === vm.value);
  return child(entry, 'startAction')?.text.trim().toLowerCase() === 'poweron';
}
