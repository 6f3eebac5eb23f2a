import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { clusterInput, drive, rig } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

describe('shutdown runner on the simulated cluster', () => {
  it('runs phases in order, the load-off just before the final host, and learns durations', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'test' });
    const row = await drive(clock, done);
    expect(row.status).toBe('completed');
    for (const n of ['web1', 'web2', 'web3', 'db1', 'h2', 'h1', 'appliance'])
      expect(r.cluster.get(n).power).toBe('off');
    // Each target got exactly one graceful request; nobody needed the hard-off.
    for (const n of ['web1', 'web2', 'web3', 'db1', 'h2', 'h1']) {
      expect(r.cluster.get(n)).toMatchObject({ graceful: 1, hard: 0 });
    }
    expect(r.cluster.get('appliance').graceful).toBe(0);
    expect(r.ups.loadOffs).toHaveLength(1);
    expect(r.ups.loadOffs[0]).toMatchObject({ ups: 'ups1', off: 60, on: 90 });
    const steps = r.journal.steps(runId);
    expect(steps.every((s) => s.finishedAt !== null)).toBe(true);
    const firstOf = (phase: string): number => steps.findIndex((s) => s.phase === phase);
    const lastOf = (phase: string): number => steps.map((s) => s.phase).lastIndexOf(phase);
    expect(lastOf('shed')).toBeLessThan(firstOf('core'));
    expect(lastOf('core')).toBeLessThan(firstOf('hosts'));
    const loadOff = steps.findIndex((s) => s.action === 'load_off');
    const finalGraceful = steps.findIndex((s) => s.target === 'h1' && s.action === 'graceful');
    expect(loadOff).toBeGreaterThan(lastOf('hosts'));
    expect(finalGraceful).toBeGreaterThan(loadOff);
    // Concurrency 2 in "shed": web3 starts only after web1 (10 s) ends.
    const web3 = steps.find((s) => s.target === 'web3' && s.action === 'graceful')!;
    expect(web3.startedAt - T0).toBeGreaterThanOrEqual(10_000);
    const e = r.estimates().of({ name: 'web1', kind: 'vm' });
    expect(e.source).toBe('run');
    expect(e.medianMs).toBeGreaterThanOrEqual(10_000);
    expect(e.medianMs).toBeLessThan(12_000);
    expect(r.events.map((x) => x.type)).toEqual(['LOAD_OFF', 'SHUTDOWN_DONE']);
  });

  it('falls back to the hard power-off when a guest ignores the graceful shutdown, at its timeout', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(
      clock,
      clusterInput({ vms: [{ name: 'web1', tags: ['tier3'], shutdown_s: 5, ignores_graceful: true }] }),
    );
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'test' });
    expect((await drive(clock, done)).status).toBe('completed');
    expect(r.cluster.get('web1')).toMatchObject({ power: 'off', graceful: 1, hard: 1 });
    const hard = r.journal.steps(runId).find((s) => s.target === 'web1' && s.action === 'hard_off')!;
    const graceful = r.journal.steps(runId).find((s) => s.target === 'web1' && s.action === 'graceful')!;
    expect(hard.startedAt - graceful.startedAt).toBeGreaterThanOrEqual(60_000);
    expect(hard.startedAt - graceful.startedAt).toBeLessThan(62_000);
  });

  it('records a failing target, notifies, and does not hold its phase past the timeout', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(
      clock,
      clusterInput({
        vms: [
          { name: 'web1', tags: ['tier3'], shutdown_s: 5, fails: true },
          { name: 'web2', tags: ['tier3'], shutdown_s: 5 },
        ],
      }),
    );
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'test' });
    const row = await drive(clock, done);
    expect(row.status).toBe('failed');
    expect(row.summary).toContain('web1');
    expect(r.events.some((e) => e.type === 'SHUTDOWN_TARGET_FAILED' && e.message.includes('web1'))).toBe(true);
    const steps = r.journal.steps(runId);
    const coreStart = steps.find((s) => s.phase === 'core')!.startedAt;
    expect(coreStart - T0).toBeLessThanOrEqual(60_000 + 10_000);
    expect(r.cluster.get('web2').power).toBe('off');
    expect(r.cluster.get('h1').power).toBe('off');
  });

  it('times out a driver call that never answers', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    // A hypervisor that hangs on every call: the run still ends, each call bounded by call_timeout_ms.
    const hung = {
      name: 'sim',
      discover: () => Promise.resolve([]),
      check: () => Promise.resolve([]),
      powerState: () => new Promise<never>(() => undefined),
      shutdown: () => new Promise<never>(() => undefined),
      powerOff: () => new Promise<never>(() => undefined),
      powerOn: () => new Promise<never>(() => undefined),
    };
    const { ShutdownRunner } = await import('../../src/shutdown/runner.js');
    const { createLogger } = await import('../../src/log.js');
    const runner = new ShutdownRunner({
      journal: r.journal,
      drivers: new Map([['sim', hung]]),
      clock,
      log: createLogger({ level: 'silent' }),
      ups: r.ups,
      timings: { pollIntervalMs: 1000, callTimeoutMs: 5000, hardOffTimeoutMs: 10_000 },
      estimateSamples: 5,
      notify: () => undefined,
    });
    const { runId, done } = runner.start(r.plan, { mode: 'real', reason: 'hung' });
    const row = await drive(clock, done);
    expect(row.status).toBe('failed');
    const steps = r.journal.steps(runId);
    expect(
      steps.filter((s) => s.result === 'failed' && s.error?.includes('timed out after 5000 ms')).length,
    ).toBeGreaterThan(0);
    expect(steps.every((s) => s.finishedAt !== null)).toBe(true);
    expect(r.ups.loadOffs).toHaveLength(1);
  });

  it('stops before the point of no return when mains returns, and starts the shed VMs again', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'test' });
    await drive(clock, new Promise((res) => clock.setTimeout(() => res(null), 40_000)));
    expect(r.cluster.get('web1').power).toBe('off');
    r.ups.mains = true;
    const row = await drive(clock, done);
    expect(row.status).toBe('aborted');
    expect(row.passedPonr).toBe(false);
    expect(r.ups.loadOffs).toHaveLength(0);
    for (const n of ['web1', 'web2', 'web3']) expect(r.cluster.get(n)).toMatchObject({ powerOn: 1 });
    expect(['booting', 'on']).toContain(r.cluster.get('web1').power);
    expect(r.cluster.get('h2').graceful).toBe(0);
    expect(r.journal.steps(runId).filter((s) => s.action === 'power_on')).toHaveLength(3);
    expect(r.events.map((e) => e.type)).toContain('SHUTDOWN_ABORTED');
  });

  it('completes after the point of no return even when mains returns, so the load-off cycles power', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { done } = r.runner.start(r.plan, { mode: 'real', reason: 'test' });
    let ponr = false;
    for (let i = 0; i < 2000 && !ponr; i++) {
      await drive(clock, Promise.resolve(), 100, 100);
      clock.advance(100);
      ponr = r.cluster.get('h2').graceful > 0;
    }
    expect(ponr).toBe(true);
    r.ups.mains = true;
    const row = await drive(clock, done);
    expect(row.status).toBe('completed');
    expect(row.passedPonr).toBe(true);
    expect(r.ups.loadOffs).toHaveLength(1);
    expect(r.cluster.get('h1').power).toBe('off');
  });

  it('resumes an interrupted run without repeating a power action that took effect', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const runId = r.journal.createRun({
      plan: 'lab',
      mode: 'real',
      reason: 'crash test',
      startedAt: T0,
      estimateS: null,
      runtimeLeftS: null,
      subset: null,
      planJson: JSON.stringify(r.plan),
    });
    // The process died right after web1's graceful request took effect, before journaling its result.
    r.journal.beginStep({ runId, phase: 'shed', target: 'web1', driver: 'sim', action: 'graceful', at: T0 });
    r.cluster.requestShutdown('web1');
    // And before web2's request was sent.
    r.journal.beginStep({ runId, phase: 'shed', target: 'web2', driver: 'sim', action: 'graceful', at: T0 });
    const [resumed] = r.runner.resume();
    const row = await drive(clock, resumed!);
    expect(row.status).toBe('completed');
    expect(r.cluster.get('web1').graceful).toBe(1);
    expect(r.cluster.get('web2').graceful).toBe(1);
    const results = r.journal.steps(runId).filter((s) => s.action === 'graceful' && s.target !== 'web3');
    expect(results.map((s) => `${s.target}:${s.result}`)).toEqual([
      'web1:took_effect',
      'web2:interrupted',
      'web2:ok',
      'db1:ok',
      'h2:ok',
      'h1:ok',
    ]);
  });

  it('a dry run reads everything, acts on nothing, and says how long it would take', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(r.plan, { mode: 'dry', reason: 'test' });
    const row = await drive(clock, done);
    expect(row.status).toBe('completed');
    for (const n of r.cluster.nodes) {
      expect(r.cluster.get(n.name)).toMatchObject({ power: 'on', graceful: 0, hard: 0, powerOn: 0 });
    }
    expect(r.ups.loadOffs).toHaveLength(0);
    const steps = r.journal.steps(runId);
    expect(steps.filter((s) => s.action === 'read').length).toBe(6);
    expect(steps.find((s) => s.target === 'web2' && s.action === 'graceful')?.detail).toBe('would take 15 s');
    expect(steps.some((s) => s.action === 'check' && s.result === 'ok')).toBe(true);
    expect(r.estimates().of({ name: 'db1', kind: 'vm' })).toMatchObject({ source: 'dry', medianMs: 30_000 });
  });

  it('a dry run reports a target that fails its check', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock, clusterInput({ vms: [{ name: 'web1', tags: ['tier3'], fails: true }] }));
    const { runId, done } = r.runner.start(r.plan, { mode: 'dry', reason: 'daily' });
    const row = await drive(clock, done);
    expect(row.status).toBe('failed');
    expect(r.journal.steps(runId).find((s) => s.action === 'check')?.error).toContain('web1: unreachable');
  });
});
