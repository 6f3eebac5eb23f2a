import type { RestoreConfig, RestoreHostConfig } from '../../config/restore-schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { HostPower, OutOfBandPower } from './host-power.js';
import { IpmiPower } from './ipmi.js';
import { WakeOnLan } from './wol.js';

export interface HostPowerDeps {
  readonly log: Logger;
  /** Bound on each call (one ipmitool run, one round of magic packets). */
  readonly callTimeoutMs: number;
  readonly ipmitool?: string;
}

/** Powers on by IPMI and, when the BMC does not answer, by Wake-on-LAN; status and hard off are the BMC's. */
class IpmiThenWol implements HostPower {
  readonly describe: string;

  constructor(
    private readonly host: string,
    private readonly ipmi: IpmiPower,
    private readonly wol: WakeOnLan,
    private readonly log: Logger,
  ) {
    this.describe = `${ipmi.describe}, else ${wol.describe}`;
  }

  async powerOn(): Promise<void> {
    try {
      await this.ipmi.powerOn();
    } catch (err) {
      this.log.warn({ host: this.host }, `${this.host}: ${errorMessage(err)}; trying wake-on-lan`);
      await this.wol.powerOn();
    }
  }

  powerStatus(): Promise<OutOfBandPower> {
    return this.ipmi.powerStatus();
  }

  hardOff(): Promise<void> {
    return this.ipmi.hardOff();
  }
}

/** The out-of-band power a `restore.hosts[]` entry configures. */
export function hostPowerFor(cfg: RestoreHostConfig, deps: HostPowerDeps): HostPower {
  const ipmi = cfg.ipmi
    ? new IpmiPower(cfg.name, cfg.ipmi, {
        timeoutMs: deps.callTimeoutMs,
        ...(deps.ipmitool ? { ipmitool: deps.ipmitool } : {}),
      })
    : undefined;
  const wol = cfg.wol ? new WakeOnLan(cfg.name, cfg.wol, deps.callTimeoutMs) : undefined;
  if (ipmi && wol) return new IpmiThenWol(cfg.name, ipmi, wol, deps.log);
  if (ipmi) return ipmi;
  if (wol) return wol;
  // The schema refuses an entry with neither; this guards a config built in code.
  throw new Error(`restore.hosts ${cfg.name}: neither wol nor ipmi is configured`);
}

/**
 * The shutdown side's last resort for a host that hangs while halting (SSH cannot force it): its BMC's hard power-off,
 * where `restore.hosts[].ipmi.hard_off` allows it. Undefined for a host without.
 */
export function bmcHardOff(
  host: string,
  restore: RestoreConfig,
  deps: HostPowerDeps,
): { readonly hardOff: () => Promise<void>; readonly describe: string } | undefined {
  const cfg = restore.hosts.find((h) => h.name === host);
  if (!cfg?.ipmi?.hard_off) return undefined;
  const ipmi = new IpmiPower(host, cfg.ipmi, {
    timeoutMs: deps.callTimeoutMs,
    ...(deps.ipmitool ? { ipmitool: deps.ipmitool } : {}),
  });
  return { hardOff: () => ipmi.hardOff(), describe: ipmi.describe };
}
