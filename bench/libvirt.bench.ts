/**
 * The libvirt driver against libvirt's test driver inside a real libvirtd on a unix socket, 100 running domains:
 * discovery wall time and virsh processes, one batched state read of every domain, and the per-target overhead of
 * the shutdown command (graceful `shutdown` then a `domstate` read, one domain after another, as the runner's first
 * poll does). The test driver completes a shutdown at once, so these are our and virsh's costs, not a guest's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { libvirtDriverSchema } from '../src/config/driver-schema.js';
import { LibvirtDriver } from '../src/shutdown/drivers/libvirt.js';
import { startLibvirtd } from '../test/helpers/libvirtd.js';

const DOMAINS = 100;
const REPS = 5;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-libvirt-'));
  const lv = await startLibvirtd(dir);
  try {
    await lv.addDomains('vm', DOMAINS - 1); // plus the test driver's own `test`
    const drv = new LibvirtDriver(libvirtDriverSchema.parse({ name: 'kvm', kind: 'libvirt', uri: lv.uri }), {
      baseDir: dir,
    });
    const discovery: number[] = [];
    let targets = await drv.discover();
    let calls = drv.virsh.calls;
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      targets = await drv.discover();
      discovery.push(performance.now() - t0);
    }
    const discoveryCalls = (drv.virsh.calls - calls) / REPS;
    if (targets.length !== DOMAINS) throw new Error(`expected ${DOMAINS} domains, discovered ${targets.length}`);
    const states: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      await drv.states();
      states.push(performance.now() - t0);
    }
    calls = drv.virsh.calls;
    const t0 = performance.now();
    for (const t of targets) {
      await drv.shutdown(t);
      if ((await drv.powerState(t)) !== 'off') throw new Error(`${t.name} did not read as off`);
    }
    const perTarget = (performance.now() - t0) / targets.length;
    const callsPerTarget = (drv.virsh.calls - calls) / targets.length;
    return {
      domains: DOMAINS,
      discovery_ms: Math.round(median(discovery)),
      discovery_virsh_calls: discoveryCalls,
      all_states_ms: Math.round(median(states)),
      shutdown_and_state_ms_per_target: Math.round(perTarget * 10) / 10,
      virsh_calls_per_target: callsPerTarget,
    };
  } finally {
    await lv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
