/**
 * The `shutdown` section of a one-host simulated cluster (its VMs, then the host after the load-off), for the tests
 * that put a whole appliance through an outage at the worst moment.
 */
export function smallClusterShutdown(o: {
  plan: string;
  vms: readonly { name: string; shutdown_s: number }[];
  vmTimeoutS?: number;
  hardOffS?: number;
  pollMs?: number;
}): Record<string, unknown> {
  return {
    poll_interval_ms: o.pollMs ?? 100,
    hard_off_timeout_s: o.hardOffS ?? 2,
    default_estimate_s: { vm: 1, host: 1 },
    sim_cluster: {
      time_scale: 1,
      call_latency_ms: 5,
      hosts: [{ name: 'h1', halt_s: 0.5, vms: o.vms.map((v) => ({ ...v, tags: ['t'] })) }],
    },
    plan: {
      name: o.plan,
      ups_host: 'h1',
      off_delay_s: 60,
      on_delay_s: 120,
      phases: [
        { name: 'vms', targets: [{ tags: ['t'] }], timeout_s: o.vmTimeoutS ?? 3 },
        { name: 'hosts', targets: [{ names: ['h1'] }], timeout_s: 10 },
      ],
    },
  };
}
