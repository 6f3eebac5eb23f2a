import { z } from 'zod';
import { nameRule } from './names.js';
import { checkPlanConfig } from './plan-rules.js';
import { driverSchema } from './driver-schema.js';

/**
 * The config pieces for deciding and shutting down: `policy`, `shutdown`, `notify` and `schedule`. Same rules as the
 * main schema: snake_case, strict objects, defaults here.
 */
const name = nameRule();

/** A duration in model seconds: a fixed number, or a log-normal distribution given by its median and 90th percentile. */
export const durationSchema = z.union([
  z.number().min(0).max(86_400),
  z
    .strictObject({ median: z.number().positive().max(86_400), p90: z.number().positive().max(86_400) })
    .refine((d) => d.p90 >= d.median, { message: 'p90 must be at least the median', path: ['p90'] }),
]);

const feed = z.strictObject({ ups: name, power: z.number().int().min(0).max(8).default(1) });

export const policySchema = z
  .strictObject({
    /** Critical at or below this charge while on battery (percent); unset: off. */
    charge_pct: z.number().min(0).max(100).optional(),
    /** Critical at or below this runtime while on battery (seconds); unset: off. */
    runtime_s: z.number().min(0).optional(),
    /** Critical after this long on battery (seconds); unset: off. */
    on_battery_s: z.number().positive().optional(),
    /** Outages shorter than this are ignored by the time-based triggers (charge, runtime, on battery, runtime-aware). */
    flicker_s: z.number().min(0).default(5),
    /** Contact lost longer than this while last known on battery counts as low battery (upsmon's DEADTIME). */
    dead_time_s: z.number().positive().default(15),
    /** OB+LB must persist this long before it counts (upsmon's OBLBDURATION). */
    ob_lb_duration_s: z.number().min(0).default(0),
    /** Runtime-aware trigger: runtime left below the plan's estimate times this factor plus the margin. 0 turns it off. */
    runtime_factor: z.number().min(0).max(10).default(1.5),
    runtime_margin_s: z.number().min(0).default(60),
    /** Which UPSes feed which host, with how many supplies (NUT's power value). Unset: one host fed by every UPS. */
    hosts: z
      .array(z.strictObject({ name, feeds: z.array(feed).min(1), min_supplies: z.number().int().min(1).default(1) }))
      .default([]),
  })
  .prefault({});

const selector = z
  .strictObject({
    driver: name.default('sim'),
    kind: z.enum(['vm', 'host']).optional(),
    names: z.array(z.string().min(1)).optional(),
    tags: z.array(z.string().min(1)).optional(),
    /** All VMs of this host… */
    vms_of: z.string().min(1).optional(),
    /** …except these. */
    except: z.array(z.string().min(1)).default([]),
  })
  .refine((s) => s.names !== undefined || s.tags !== undefined || s.vms_of !== undefined, {
    message: 'give names, tags or vms_of',
  });

const phase = z.strictObject({
  name,
  targets: z.array(selector).min(1),
  method: z.enum(['graceful', 'hard']).default('graceful'),
  /** Graceful shutdown may take this long before the hard power-off. */
  timeout_s: z.number().positive().max(86_400).default(120),
  concurrency: z.number().int().min(1).max(1000).default(8),
  /**
   * Follow the guests' own startup order where the platform has one (Proxmox VE's `startup: order=N`): the phase runs
   * as steps, guests without an order first, then the highest order down, as Proxmox's own stop-all does.
   */
  startup_order: z.boolean().default(true),
});

const simVm = z.strictObject({
  name,
  tags: z.array(z.string()).default([]),
  mac: z.string().optional(),
  shutdown_s: durationSchema.default({ median: 20, p90: 40 }),
  boot_s: z.number().min(0).default(15),
  /** A guest that ignores ACPI / the agent: only the hard power-off stops it. */
  ignores_graceful: z.boolean().default(false),
  /** A target whose every power call fails (unreachable, bad credentials). */
  fails: z.boolean().default(false),
  autostart: z.boolean().default(true),
});

const simHost = z.strictObject({
  name,
  tags: z.array(z.string()).default([]),
  mac: z.string().optional(),
  /** Which UPS feeds it: the host loses power when that UPS's output goes off, and boots when it returns. */
  ups: z.string().optional(),
  halt_s: durationSchema.default({ median: 30, p90: 50 }),
  boot_s: z.number().min(0).default(30),
  ignores_graceful: z.boolean().default(false),
  fails: z.boolean().default(false),
  /** BIOS "restore on AC power loss": boots when its UPS's output returns. Off: only a power-on (WoL, IPMI) boots it. */
  restore_on_ac: z.boolean().default(true),
  vms: z.array(simVm).default([]),
});

export const simClusterSchema = z.strictObject({
  /** Model seconds per wall second, as the simulated UPS's time_scale. */
  time_scale: z.number().positive().max(100_000).default(1),
  seed: z.number().int().default(1),
  /** Latency of each call to the simulated hypervisor, wall milliseconds. */
  call_latency_ms: z.number().min(0).max(10_000).default(2),
  hosts: z.array(simHost).min(1),
});

const shutdownObject = z.strictObject({
  /** Real targets' endpoints and credentials (vsphere, proxmox, libvirt, ssh), named for the plan's selectors. */
  drivers: z.array(driverSchema).default([]),
  plan: z
    .strictObject({
      name,
      phases: z.array(phase).min(1),
      /** From the start of this phase on, mains returning no longer stops the run. Unset: the last phase. */
      point_of_no_return: name.optional(),
      /** If mains returns before the point of no return, start again what the run shut down. */
      restart_shed: z.boolean().default(true),
      /** The UPS that gets the delayed load-off just before the final host halts; unset: the first UPS. */
      load_off_ups: name.optional(),
      off_delay_s: z.number().int().min(1).max(86_400).default(60),
      on_delay_s: z.number().int().min(1).max(86_400).default(90),
      /** Seconds per unit of the UPS's delay registers (60 for units counting minutes): delays are checked after rounding up. */
      delay_unit_s: z.number().int().min(1).max(60).default(1),
      /** The appliance's own VM and the host it runs on, and the host the UPS is plugged into. Unset: discovered by MAC or host name. */
      self_vm: z.string().optional(),
      self_host: z.string().optional(),
      ups_host: z.string().optional(),
      driver_limits: z.record(z.string(), z.number().int().min(1).max(1000)).default({}),
    })
    .optional(),
  sim_cluster: simClusterSchema.optional(),
  poll_interval_ms: z.number().int().min(10).max(60_000).default(2000),
  /** Every single driver call (read, request) gives up after this. */
  call_timeout_ms: z.number().int().min(10).max(600_000).default(15_000),
  /** After a hard power-off, how long the target may take to read as off. */
  hard_off_timeout_s: z.number().positive().max(3600).default(30),
  default_estimate_s: z
    .strictObject({ vm: z.number().positive().default(60), host: z.number().positive().default(120) })
    .prefault({}),
  /**
   * After a run, the policy re-arms only once mains has been back on every UPS, output on, for this long: a restart or
   * a flicker in the same outage never starts a second run.
   */
  rearm_after_s: z.number().min(0).max(86_400).default(60),
  /** Past durations kept per target for its estimate. */
  estimate_samples: z.number().int().min(1).max(1000).default(20),
});

/** The plan's ordering rules that need no discovery are checked here, so `config check` reports them. */
export const shutdownSchema = shutdownObject
  .superRefine((cfg, ctx) => {
    for (const p of checkPlanConfig(cfg)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  })
  .prefault({});

/** Moved to notify-schema.ts; re-exported for the imports that name this file. */
export { notifySchema, type NotifyConfig } from './notify-schema.js';

export const scheduleSchema = z
  .strictObject({
    /** Daily dry run of the plan; raises SHUTDOWN_CHECK_FAILED when a credential or target fails. Empty: off. */
    dry_run: z.string().default('30 3 * * *'),
    /** Weekly quick battery test on every UPS that supports it. Unset: off. */
    battery_test: z.string().optional(),
  })
  .prefault({});

export type PolicyConfig = z.output<typeof policySchema>;
export type ShutdownConfig = z.output<typeof shutdownObject>;
export type PlanConfig = NonNullable<ShutdownConfig['plan']>;
export type PhaseConfig = PlanConfig['phases'][number];
export type SelectorConfig = PhaseConfig['targets'][number];
export type SimClusterConfig = z.output<typeof simClusterSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;
export type DurationConfig = z.output<typeof durationSchema>;
