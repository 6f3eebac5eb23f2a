import { z } from 'zod';
import { nameRule } from './names.js';

/**
 * `restore:`: bringing the cluster back after a completed run. Return conditions (PowerChute's, NUT's
 * battery.charge.restart idea) gate each tier; hosts that do not power on by themselves get Wake-on-LAN or IPMI.
 */
const name = nameRule();

/** A bar the battery must clear before a tier starts: charge OR runtime (either is enough); both unset: no bar. */
const batteryBar = z.strictObject({
  charge_pct: z.number().min(0).max(100).optional(),
  runtime_s: z.number().min(0).optional(),
});

const mac = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/, 'expected a MAC address like aa:bb:cc:dd:ee:ff');

const wol = z.strictObject({
  mac,
  /** Where the magic packet goes: the LAN's broadcast address (or the host's address, for a directed packet). */
  broadcast: z.ipv4().default('255.255.255.255'),
  /** Send from this interface (SO_BINDTODEVICE by its address); unset: the system's route. */
  interface: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65_535).default(9),
  /** Packets sent per attempt (they are UDP: one may be lost). */
  repeat: z.number().int().min(1).max(20).default(3),
});

const ipmi = z.strictObject({
  /** The BMC's address (IPMI over LAN, RMCP+). */
  address: z.string().min(1),
  port: z.number().int().min(1).max(65_535).default(623),
  username: z.string().min(1),
  /** Give it as password_file: or password_env:. */
  password: z.string().min(1),
  /** lanplus (IPMI 2.0, RMCP+) unless the BMC only speaks 1.5. */
  interface: z.enum(['lanplus', 'lan']).default('lanplus'),
  /**
   * RMCP+ cipher suite (lanplus). 3 (SHA-1 auth, AES-128) is the one nearly every BMC speaks; 17 (SHA-256) where the
   * BMC requires it. Naming it skips ipmitool's cipher-suite discovery, which some BMCs never answer.
   */
  cipher_suite: z.number().int().min(0).max(17).default(3),
  /**
   * When the host's halt overruns its phase's timeout and its own driver cannot cut power (SSH cannot), the hard
   * power-off goes through this BMC instead.
   */
  hard_off: z.boolean().default(false),
});

const host = z
  .strictObject({
    /** The host's target name, as the plan names it. */
    name,
    wol: wol.optional(),
    ipmi: ipmi.optional(),
    /** How long this host may take from power-on until its platform answers. */
    ready_timeout_s: z.number().positive().max(7200).optional(),
  })
  .refine((h) => h.wol !== undefined || h.ipmi !== undefined, { message: 'give wol, ipmi or both' });

export const restoreSchema = z
  .strictObject({
    /** After a completed real run, bring back what was running when it started. */
    enabled: z.boolean().default(true),
    /** Mains must have been present this long, without a drop, before anything is started. */
    mains_steady_s: z.number().min(0).max(86_400).default(60),
    /** The bar for the first tier to come up (the last phase that went down: storage, the hosts' own services). */
    first_tier: batteryBar.prefault({ charge_pct: 20 }),
    /** The bar for every other tier. */
    other_tiers: batteryBar.prefault({ charge_pct: 50, runtime_s: 600 }),
    /** Hosts powered on by Wake-on-LAN or IPMI; the others are expected to come back with power (BIOS "restore on AC"). */
    hosts: z.array(host).default([]),
    /** Default wait for a host's platform to answer after power returns. */
    host_ready_timeout_s: z.number().positive().max(7200).default(600),
    /** One VM start may take this long (the request, then the VM reading as on). */
    vm_start_timeout_s: z.number().positive().max(3600).default(300),
    /** VM starts at once within a phase. */
    concurrency: z.number().int().min(1).max(1000).default(8),
  })
  .superRefine((r, ctx) => {
    const seen = new Set<string>();
    r.hosts.forEach((h, i) => {
      if (seen.has(h.name))
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host ${h.name}` });
      seen.add(h.name);
    });
  })
  .prefault({});

export type RestoreConfig = z.output<typeof restoreSchema>;
export type RestoreHostConfig = RestoreConfig['hosts'][number];
export type WolConfig = NonNullable<RestoreHostConfig['wol']>;
export type IpmiConfig = NonNullable<RestoreHostConfig['ipmi']>;
export type BatteryBarConfig = RestoreConfig['first_tier'];
