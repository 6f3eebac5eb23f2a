// A short real run: the ShutdownRunner takes libvirt domains (test driver inside libvirtd) down, then their host
// over SSH (sshd on 127.0.0.1, forced command records the poweroff). The host "halts" when sshd is stopped right
// after the command arrives, as a real host stops answering.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shutdownSchema } from '../../src/config/shutdown-schema.js';
import { createLogger } from '../../src/log.js';
import { createDrivers } from '../../src/shutdown/drivers/registry.js';
import { Estimates } from '../../src/shutdown/estimates.js';
import { resolvePlan } from '../../src/shutdown/plan.js';
import { ShutdownRunner } from '../../src/shutdown/runner.js';
import { openDatabase } from '../../src/store/database.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { FakeUps } from '../shutdown/fixtures.js';
import { haveLibvirtd, startLibvirtd, type Libvirtd } from '../helpers/libvirtd.js';
import { until } from '../helpers/until.js';
import { haveSshd, startSshd, type Sshd } from '../helpers/sshd.js';
import { describeWithPeers } from '../helpers/peers.js';

const d = describeWithPeers({ libvirtd: haveLibvirtd, 'sshd as root': haveSshd });

d('shutdown runner over libvirt domains and their SSH host', () => {
  let dir: string;
  let lv: Libvirtd;
  let sshd: Sshd;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-lvrun-'));
    [lv, sshd] = await Promise.all([startLibvirtd(join(dir, 'lv')), startSshd(dir)]);
    await lv.addDomains('app', 3);
  }, 40_000);
  afterAll(async () => {
    await Promise.all([lv.stop(), sshd.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('journals domains off before the host, the load-off before the host halt, and every peer shows it', async () => {
    const cfg = shutdownSchema.parse({
      drivers: [
        { name: 'kvm', kind: 'libvirt', uri: lv.uri, host: 'kvm1', host_ssh: 'hosts', call_timeout_ms: 10_000 },
        {
          name: 'hosts',
          kind: 'ssh',
          connect_timeout_s: 1,
          hosts: [
            {
              name: 'kvm1',
              address: '127.0.0.1',
              port: sshd.port,
              key_file: 'clientkey',
              host_key_sha256: sshd.hostKeySha256,
            },
          ],
        },
      ],
      plan: {
        name: 'lab',
        ups_host: 'kvm1',
        point_of_no_return: 'hosts',
        phases: [
          { name: 'vms', targets: [{ driver: 'kvm', vms_of: 'kvm1' }], timeout_s: 10, concurrency: 2 },
          { name: 'hosts', targets: [{ driver: 'hosts', names: ['kvm1'] }], timeout_s: 10 },
        ],
      },
      poll_interval_ms: 100,
      call_timeout_ms: 10_000,
      hard_off_timeout_s: 5,
    });
    const log = createLogger({ level: 'silent' });
    const drivers = await createDrivers(cfg.drivers, { clock: systemClock, log, baseDir: dir });
    const targets = (await Promise.all([...drivers.values()].map((drv) => drv.discover()))).flat();
    expect(targets.map((t) => `${t.driver}/${t.name}`).sort()).toEqual([
      'hosts/kvm1',
      'kvm/app0',
      'kvm/app1',
      'kvm/app2',
      'kvm/test',
    ]);
    const journal = new RunsStore(openDatabase(':memory:'));
    const estimates = new Estimates(journal.durations(), { vm: 60_000, host: 30_000 });
    const plan = resolvePlan(cfg, targets, { macs: [], hostname: 'appliance' }, estimates, 'ups1');
    const ups = new FakeUps(new ManualClock(0));
    const runner = new ShutdownRunner({
      journal,
      drivers,
      clock: systemClock,
      log,
      ups,
      timings: { pollIntervalMs: 100, callTimeoutMs: 10_000, hardOffTimeoutMs: 5000 },
      estimateSamples: 5,
      notify: () => undefined,
    });
    // The "host" halts: once the poweroff is recorded, sshd goes away.
    const halting = until(
      'the host to be told to power off',
      () => sshd.commands().includes('sudo /sbin/poweroff'),
      30_000,
      50,
    ).finally(() => sshd.stop());
    halting.catch(() => undefined); // awaited below; a timeout is not to surface before then as an unhandled rejection
    const { runId, done } = runner.start(plan, { mode: 'real', reason: 'libvirt+ssh test' });
    const row = await done;
    await halting;
    expect(row.status).toBe('completed');
    const steps = journal.steps(runId);
    expect(steps.every((s) => s.finishedAt !== null && s.result !== 'failed')).toBe(true);
    const hostStep = steps.findIndex((s) => s.target === 'kvm1' && s.action === 'graceful');
    const loadOff = steps.findIndex((s) => s.action === 'load_off');
    for (const dom of ['test', 'app0', 'app1', 'app2']) {
      const i = steps.findIndex((s) => s.target === dom && s.action === 'graceful');
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(hostStep);
      expect((await lv.virsh('domstate', dom, '--reason')).trim()).toBe('shut off (shutdown)');
    }
    expect(loadOff).toBeGreaterThanOrEqual(0);
    expect(loadOff).toBeLessThan(hostStep);
    expect(steps.some((s) => s.action === 'hard_off')).toBe(false);
    expect(sshd.commands()).toEqual(['sudo /sbin/poweroff']);
    expect(ups.loadOffs).toHaveLength(1);
  }, 40_000);
});
