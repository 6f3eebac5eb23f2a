/**
 * Out-of-band power for a host that does not come back by itself: Wake-on-LAN (power on only) or IPMI over LAN (power
 * on, power status, hard off). One implementation per way (wol.ts, ipmi.ts); `hostPowerFor` (host-power-factory.ts)
 * builds the one a host's `restore.hosts[]` entry configures. Every call may reject; the caller bounds it in time.
 */
export type OutOfBandPower = 'on' | 'off' | 'unknown';

export interface HostPower {
  /** Names the way for the journal: "wol aa:bb:…" or "ipmi 10.0.0.5". Never a secret. */
  readonly describe: string;
  powerOn(): Promise<void>;
  /** What the BMC says; Wake-on-LAN cannot tell and leaves it out. */
  powerStatus?(): Promise<OutOfBandPower>;
  /** Cuts power at once (a host that hangs while halting, which SSH cannot do). */
  hardOff?(): Promise<void>;
}
