import { describe, expect, it } from 'vitest';
import type { RunRow } from '../../src/shutdown/journal.js';
import { subsetPlan } from '../../src/shutdown/plan.js';
import { abortRefusal, abortedBy, runKind } from '../../src/shutdown/run-abort.js';
import type { StepRow } from '../../src/shutdown/journal.js';
import { ManualClock } from '../../src/util/clock.js';
import { drive, rig } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

/** Advances the manual clock in small steps, letting promises settle, until `ready` holds. */
async function until(clock: ManualClock, what: string, ready: () => boolean, maxMs = 600_000): Promise<void> {
  for (let t = 0; t < maxMs; t += 100) {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    if (ready()) return;
    clock.advance(100);
  }
  throw new Error(`not reached in ${maxMs} ms of model time: ${what}`);
}

describe('abort: the runner stops a run a person asked to stop', () => {
  it('a subset test aborted mid-phase: steps in flight finish, nothing new starts, closed as aborted, event written', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    // "shed" runs two at a time: web1 and web2 go first, web3 waits for a slot; db1 is in the next phase.
    const plan = subsetPlan(r.plan, ['web1', 'web2', 'web3', 'db1']);
    const stepsSeen: StepRow[] = [];
    const runsSeen: { status: string; phase: string | null }[] = [];
    r.runner.events.on('stepChanged', (s) => stepsSeen.push(s));
    r.runner.events.on('runChanged', (row, phase) => runsSeen.push({ status: row.status, phase }));
    const { runId, done } = r.runner.start(plan, {
      mode: 'real',
      reason: 'test shutdown',
      subset: ['web1', 'web2', 'web3', 'db1'],
    });
    await until(clock, 'web1 and web2 are stopping', () => r.cluster.get('web1').power === 'stopping');
    expect(r.cluster.get('web2').power).toBe('stopping');
    void r.runner.abort(runId, 'alice');
    const row = await drive(clock, done);

    expect(row.status).toBe('aborted');
    expect(row.summary).toMatch(/^aborted by alice \(\d of 4 targets shut down\)$/);
    expect(abortedBy(row.summary)).toBe('alice');
    // Targets not yet started stay on: no graceful request ever reached them.
    for (const n of ['web3', 'db1']) expect(r.cluster.get(n)).toMatchObject({ power: 'on', graceful: 0, hard: 0 });
    const steps = r.journal.steps(runId);
    expect(steps.filter((s) => s.target === 'web3' || s.target === 'db1').map((s) => s.action)).not.toContain(
      'graceful',
    );
    expect(steps.some((s) => s.phase === 'core')).toBe(false);
    // No load-off, no restart of what was shed: the page offers the restore.
    expect(r.ups.loadOffs).toEqual([]);
    expect(steps.some((s) => s.action === 'power_on' || s.action === 'load_off')).toBe(false);
    expect(r.events.map((e) => e.type)).toEqual(['SHUTDOWN_ABORTED']);
    expect(r.events[0]?.message).toContain('aborted by alice');
    // The progress the page sees: the run's start, its phase, its end; every step row as written.
    expect(runsSeen[0]).toEqual({ status: 'running', phase: null });
    expect(runsSeen.at(-1)).toMatchObject({ status: 'aborted' });
    expect(runsSeen.some((x) => x.phase === 'shed')).toBe(true);
    expect(new Set(stepsSeen.filter((s) => s.finishedAt !== null).map((s) => s.id))).toEqual(
      new Set(steps.map((s) => s.id)),
    );
  });

  it('a whole-plan run aborted before the point of no return sends no load-off', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'outage' });
    await until(clock, 'the shed phase is under way', () => r.cluster.get('web1').power === 'stopping');
    void r.runner.abort(runId, 'root');
    const row = await drive(clock, done);
    expect(row).toMatchObject({ status: 'aborted', passedPonr: false });
    expect(r.ups.loadOffs).toEqual([]);
    for (const n of ['db1', 'h1', 'h2']) expect(r.cluster.get(n).power).toBe('on');
    expect(r.events.map((e) => e.type)).toEqual(['SHUTDOWN_ABORTED']);
  });

  it('an abort past the point of no return is refused, and the run completes with its load-off', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(r.plan, { mode: 'real', reason: 'outage' });
    await until(clock, 'the point of no return is passed', () => r.journal.run(runId)?.passedPonr === true);
    expect(() => r.runner.abort(runId, 'root')).toThrow(/point of no return/);
    const row = await drive(clock, done);
    expect(row.status).toBe('completed');
    expect(r.ups.loadOffs).toHaveLength(1);
  });

  it('an abort of a run that is not in progress is refused', async () => {
    const clock = new ManualClock(T0);
    const r = await rig(clock);
    const { runId, done } = r.runner.start(subsetPlan(r.plan, ['web1']), {
      mode: 'real',
      reason: 'test',
      subset: ['web1'],
    });
    await drive(clock, done);
    expect(() => r.runner.abort(runId, 'alice')).toThrow(/not in progress/);
    expect(() => r.runner.abort(9999, 'alice')).toThrow(/not in progress/);
  });
});

const row = (over: Partial<RunRow>): RunRow => ({
  id: 7,
  plan: 'lab',
  mode: 'real',
  reason: 'outage',
  status: 'running',
  startedAt: T0,
  finishedAt: null,
  estimateS: 74,
  runtimeLeftS: 1860,
  subset: null,
  planJson: '{}',
  passedPonr: false,
  summary: null,
  ...over,
});

describe('abort: who may stop which run', () => {
  it("a test run (subset, or dry) is an operator's to abort; a viewer is refused", () => {
    for (const r of [row({ subset: ['web1'] }), row({ mode: 'dry' })]) {
      expect(abortRefusal(r, 7, true, 'operator')).toBeNull();
      expect(abortRefusal(r, 7, true, 'admin')).toBeNull();
      expect(abortRefusal(r, 7, true, 'viewer')).toMatchObject({ status: 403 });
    }
    expect(runKind(row({ subset: ['web1'] }))).toBe('test');
    expect(runKind(row({ mode: 'dry' }))).toBe('dry');
  });

  it('a real run of the whole plan: an operator is refused, naming the role; an admin may', () => {
    const r = row({});
    expect(runKind(r)).toBe('outage');
    const refused = abortRefusal(r, 7, true, 'operator');
    expect(refused).toMatchObject({ status: 403 });
    expect(refused?.message).toMatch(/only an admin.*you are operator/);
    expect(abortRefusal(r, 7, true, 'admin')).toBeNull();
  });

  it('past the point of no return: 409 for anyone; unknown run 404; finished run 409', () => {
    expect(abortRefusal(row({ passedPonr: true }), 7, true, 'admin')).toMatchObject({
      status: 409,
      message: expect.stringMatching(/point of no return/) as unknown,
    });
    expect(abortRefusal(undefined, 12, false, 'admin')).toEqual({ status: 404, message: 'no run 12' });
    expect(abortRefusal(row({ status: 'completed' }), 7, false, 'admin')).toMatchObject({
      status: 409,
      message: expect.stringMatching(/already finished \(completed\)/) as unknown,
    });
  });
});
