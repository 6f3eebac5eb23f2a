/**
 * A short real ShutdownRunner run over vcsim's standalone-ESXi model: three VMs (one shuts down gracefully, one hangs
 * [front], one has no Tools and so goes straight to PowerOffVM_Task), then the host (ShutdownHost_Task [front]) as
 * the UPS host, after the UPS load-off. The end state is read back from vcsim's property collector through a separate
 * session. Wall-clock time, short timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shutdownSchema } from '../../src/config/shutdown-schema.js';
import { createLogger } from '../../src/log.js';
import { VsphereDriver } from '../../src/shutdown/drivers/vsphere.js';
import { Estimates } from '../../src/shutdown/estimates.js';
import { resolvePlan } from '../../src/shutdown/plan.js';
import { ShutdownRunner, type UpsControl } from '../../src/shutdown/runner.js';
import { openDatabase } from '../../src/store/database.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import { systemClock } from '../../src/util/clock.js';
import { startVcsim, vcsimBinary, vsphereConfig, type Vcsim } from '../helpers/vcsim.js';

const HOST = 'localhost.localdomain';
let esx: Vcsim;
const sims: Vcsim[] = [];
const drivers: VsphereDriver[] = [];

beforeAll(async () => {
  vcsimBinary();
  esx = await startVcsim({ esx: true, vms: 3, tools: 'VM[01]$', hang: 'VM1$', guestDelayMs: 300 });
  sims.push(esx);
}, 180_000);

afterAll(async () => {
  await Promise.all(drivers.map((d) => d.close()));
  await Promise.all(sims.map((s) => s.stop()));
});

describe('shutdown runner over vcsim', () => {
  it('shuts the VMs down (graceful, hung -> hard, no tools -> hard), then the host after the load-off', async () => {
    const driver = new VsphereDriver(vsphereConfig(esx, { name: 'esx' }), { taskPollMs: 50 });
    const observer = new VsphereDriver(vsphereConfig(esx, { name: 'observer' }), { taskPollMs: 50 });
    drivers.push(driver, observer);
    const cfg = shutdownSchema.parse({
      drivers: [vsphereConfig(esx, { name: 'esx' })],
      plan: {
        name: 'esx',
        ups_host: HOST,
        phases: [
          { name: 'vms', targets: [{ driver: 'esx', kind: 'vm', tags: ['vsphere'] }], timeout_s: 2 },
          { name: 'hosts', targets: [{ driver: 'esx', names: [HOST] }], timeout_s: 10 },
        ],
      },
      poll_interval_ms: 100,
      call_timeout_ms: 5000,
      hard_off_timeout_s: 5,
    });
    const journal = new RunsStore(openDatabase(':memory:'));
    const loadOffs: string[] = [];
    const ups: UpsControl = {
      loadOff: (name) => {
        loadOffs.push(name);
        return Promise.resolve();
      },
      loadOffPending: () => loadOffs.length > 0,
      mainsOnline: () => false,
    };
    const runner = new ShutdownRunner({
      journal,
      drivers: new Map([['esx', driver]]),
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      ups,
      timings: { pollIntervalMs: 100, callTimeoutMs: 5000, hardOffTimeoutMs: 5000 },
      estimateSamples: 20,
      notify: () => undefined,
    });
    const targets = await driver.discover();
    const estimates = new Estimates(journal.durations(), { vm: 5_000, host: 5_000 });
    const plan = resolvePlan(cfg, targets, { macs: [], hostname: 'appliance' }, estimates, 'ups1');
    const { runId, done } = runner.start(plan, { mode: 'real', reason: 'test' });
    const row = await done;
    expect(row.status).toBe('completed');

    const steps = journal.steps(runId);
    const did = (target: string, action: string): boolean =>
      steps.some((s) => s.target === target && s.action === action && s.result === 'ok');
    expect(did('ha-host_VM0', 'graceful')).toBe(true);
    expect(did('ha-host_VM0', 'hard_off')).toBe(false);
    expect(did('ha-host_VM1', 'graceful')).toBe(true);
    expect(did('ha-host_VM1', 'hard_off')).toBe(true);
    const noTools = steps.find((s) => s.target === 'ha-host_VM2' && s.action === 'graceful');
    expect(noTools?.result).toBe('failed');
    expect(noTools?.error).toMatch(/VMware Tools is not running/);
    expect(did('ha-host_VM2', 'hard_off')).toBe(true);
    const loadOff = steps.findIndex((s) => s.action === 'load_off');
    const hostGraceful = steps.findIndex((s) => s.target === HOST && s.action === 'graceful');
    const lastVm = Math.max(...steps.map((s, i) => (s.target.startsWith('ha-host_VM') ? i : -1)));
    expect(loadOff).toBeGreaterThan(lastVm);
    expect(hostGraceful).toBeGreaterThan(loadOff);
    expect(loadOffs).toEqual(['ups1']);

    // vcsim's own view, through another session.
    for (const t of await observer.discover()) expect(await observer.powerState(t)).toBe('off');
  }, 30_000);
});
