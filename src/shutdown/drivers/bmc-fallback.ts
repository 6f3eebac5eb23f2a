import type { RestoreConfig } from '../../config/restore-schema.js';
import { errorMessage } from '../../errors.js';
import { bmcHardOff, type HostPowerDeps } from '../restore/host-power-factory.js';
import type { ShutdownDriver, Target } from './driver.js';

/**
 * A driver whose hosts' hard power-off falls back to their BMC: the driver's own first (vSphere, Proxmox can), and
 * when it refuses or fails (an SSH host that hangs while halting), IPMI chassis power off. Hosts without
 * `ipmi.hard_off` and every VM go to the driver alone. Everything else is the driver's.
 */
export function withBmcHardOff(inner: ShutdownDriver, restore: RestoreConfig, deps: HostPowerDeps): ShutdownDriver {
  if (!restore.hosts.some((h) => h.ipmi?.hard_off)) return inner;
  const powerOff = async (t: Target): Promise<void> => {
    const bmc = t.kind === 'host' ? bmcHardOff(t.name, restore, deps) : undefined;
    if (!bmc) return inner.powerOff(t);
    try {
      await inner.powerOff(t);
    } catch (err) {
      deps.log.warn(
        { target: t.name, driver: inner.name },
        `${t.name}: ${errorMessage(err)}; cutting power through its BMC (${bmc.describe})`,
      );
      await bmc.hardOff();
    }
  };
  // A prototype-preserving wrapper: every method and optional capability stays the driver's own but powerOff.
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'powerOff') return powerOff;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
