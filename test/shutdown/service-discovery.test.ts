import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import type { ShutdownDriver } from '../../src/shutdown/drivers/driver.js';
import { ManualClock } from '../../src/util/clock.js';
import { HandUps, service, serviceConfig, serviceShutdown } from './service-rig.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

const unreachable: ShutdownDriver = {
  name: 'kvm',
  discover: () => Promise.reject(new Error('connect ECONNREFUSED 192.0.2.9:16509')),
  check: () => Promise.resolve([{ ok: false, message: 'connect ECONNREFUSED 192.0.2.9:16509' }]),
  powerState: () => Promise.reject(new Error('unreachable')),
  shutdown: () => Promise.reject(new Error('unreachable')),
  powerOff: () => Promise.reject(new Error('unreachable')),
  powerOn: () => Promise.reject(new Error('unreachable')),
};

function config() {
  const shutdown = serviceShutdown() as { plan: { phases: { targets: unknown[] }[] } } & Record<string, unknown>;
  shutdown.drivers = [{ kind: 'libvirt', name: 'kvm', uri: 'qemu+tcp://192.0.2.9/system' }];
  // The shed phase also takes the KVM host's guests.
  shutdown.plan.phases[0]!.targets.push({ driver: 'kvm', tags: ['tier3'] });
  return serviceConfig(shutdown);
}

describe('shutdown service: an unreachable driver is a check result, not an invalid plan', () => {
  it('shows the plan with the reachable drivers, and names the unreachable one with its error', async () => {
    const db = openDatabase(':memory:');
    const s = service(db, new ManualClock(T0), new HandUps('ups1'), {
      config: config(),
      drivers: new Map([['kvm', unreachable]]),
    });
    const view = await s.refreshPlan();
    expect(view.problems).toEqual([]);
    expect(view.plan?.phases.find((p) => p.name === 'shed')?.targets.map((t) => t.name)).toEqual([
      'web1',
      'web2',
      'web3',
    ]);
    expect(view.estimate).not.toBeNull();
    expect(view.unreachable).toEqual([{ driver: 'kvm', error: 'connect ECONNREFUSED 192.0.2.9:16509' }]);
    expect(view.plan?.notes.some((n) => n.includes('kvm'))).toBe(true);
    const reports = await s.checkDrivers();
    expect(reports.find((r) => r.driver === 'kvm')?.ok).toBe(false);
    db.close();
  });
});
