import type { ConfigInput } from './schema.js';

/**
 * The demo's shutdown story on a simulated cluster at the simulated UPS's pace (time scale 10): the long outage of
 * `demo-story` trips the on-battery trigger 40 s in, the plan sheds the web tier, stops the database, halts pve2,
 * sends the UPS its delayed load-off and halts pve1; mains returns, the UPS powers its output again and the hosts
 * boot and start their autostart VMs (upsguard, jellyfin). The restore does the rest once mains has held for 5 s:
 * postgres first (the last phase down), then the web tier and the apps, and says RESTORED. Phase timeouts are short so
 * a guest that ignores ACPI meets its hard-off in view.
 */
export const demoShutdown: Pick<ConfigInput, 'policy' | 'shutdown' | 'schedule' | 'restore'> = {
  policy: { on_battery_s: 40, flicker_s: 5 },
  shutdown: {
    sim_cluster: {
      time_scale: 10,
      call_latency_ms: 20,
      hosts: [
        {
          name: 'pve1',
          tags: ['ups-host'],
          halt_s: { median: 30, p90: 45 },
          boot_s: 40,
          vms: [
            { name: 'upsguard', tags: ['appliance'], shutdown_s: 10 },
            { name: 'postgres', tags: ['core'], shutdown_s: { median: 25, p90: 40 }, boot_s: 30, autostart: false },
            { name: 'gitea', tags: ['apps'], shutdown_s: { median: 15, p90: 30 }, autostart: false },
          ],
        },
        {
          name: 'pve2',
          halt_s: { median: 30, p90: 45 },
          boot_s: 40,
          vms: [
            { name: 'web1', tags: ['web'], shutdown_s: { median: 10, p90: 20 }, autostart: false },
            { name: 'web2', tags: ['web'], shutdown_s: { median: 10, p90: 20 }, autostart: false },
            {
              name: 'win-legacy',
              tags: ['apps'],
              shutdown_s: 20,
              ignores_graceful: true,
              boot_s: 40,
              autostart: false,
            },
            { name: 'jellyfin', tags: ['apps'], shutdown_s: { median: 20, p90: 35 } },
          ],
        },
      ],
    },
    plan: {
      name: 'homelab',
      self_vm: 'upsguard',
      ups_host: 'pve1',
      point_of_no_return: 'core',
      // CyberPower counts its delays in whole minutes.
      off_delay_s: 60,
      on_delay_s: 120,
      delay_unit_s: 60,
      phases: [
        { name: 'shed', targets: [{ tags: ['web', 'apps'] }], timeout_s: 6, concurrency: 3 },
        { name: 'core', targets: [{ tags: ['core'] }], timeout_s: 8 },
        { name: 'hosts', targets: [{ names: ['pve2', 'pve1'] }, { names: ['upsguard'] }], timeout_s: 10 },
      ],
    },
    poll_interval_ms: 500,
    // The demo's outages are minutes apart: the trigger re-arms (and the restore may begin) once mains has held 5 s.
    rearm_after_s: 5,
    call_timeout_ms: 5000,
    hard_off_timeout_s: 5,
    default_estimate_s: { vm: 3, host: 5 },
  },
  schedule: { dry_run: '*/10 * * * *' },
  // The battery is low after the long outage; the bars are low too, so the demo's restore is seen within the loop.
  restore: { mains_steady_s: 5, first_tier: { charge_pct: 5 }, other_tiers: { charge_pct: 10 }, concurrency: 3 },
};
