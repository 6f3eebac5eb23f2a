import { errorMessage } from '../../errors.js';
import type { Clock } from '../../util/clock.js';
import type { DriverReport } from '../driver-report.js';
import type { ShutdownDriver } from '../drivers/driver.js';
import { withClockTimeout } from '../limits.js';

/**
 * The daily check's look at upsguard's own VM: after an outage it must come back by itself (the platform's autostart),
 * or nothing is left running to restore the cluster. Where the driver can tell, a VM not set to autostart is a
 * problem, named with what to set; where it cannot (or the VM is not known), nothing is said.
 */
export async function selfAutostartProblem(o: {
  selfVm: string | null;
  reports: readonly DriverReport[];
  drivers: ReadonlyMap<string, ShutdownDriver>;
  clock: Clock;
  timeoutMs: number;
}): Promise<string | null> {
  if (o.selfVm === null) return null;
  for (const r of o.reports) {
    const t = r.targets.find((x) => x.name === o.selfVm && x.kind === 'vm');
    const d = o.drivers.get(r.driver);
    if (!t || !d?.autostart) continue;
    const target = {
      driver: r.driver,
      name: t.name,
      kind: 'vm' as const,
      tags: [],
      macs: [],
      ...(t.host ? { host: t.host } : {}),
    };
    try {
      const on = await withClockTimeout(o.clock, d.autostart(target), o.timeoutMs, `autostart of ${t.name}`);
      if (on === false) {
        return `upsguard's own VM ${t.name} (${r.driver}) is not set to autostart: after an outage it stays off and nothing brings the cluster back; set its autostart (and the host's BIOS "restore on AC power")`;
      }
      return null;
    } catch (err) {
      return `cannot read the autostart of upsguard's own VM ${t.name} (${r.driver}): ${errorMessage(err)}`;
    }
  }
  return null;
}
