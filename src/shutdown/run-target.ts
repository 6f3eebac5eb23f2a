import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { RunMode, ShutdownJournal, StepAction, StepResult, StepRow, TargetOutcome } from './journal.js';
import type { Clock } from '../util/clock.js';
import type { PowerState, ShutdownDriver, Target } from './drivers/driver.js';
import { sleep, withClockTimeout } from './limits.js';

/**
 * One target through graceful shutdown, the wait, and the hard power-off, every step journaled before and after it
 * is acted on. On resume it is given the target's earlier steps: a power action journaled as started is not sent
 * again when the power state shows it took effect, and deadlines run from the first attempt.
 */
export interface TargetContext {
  readonly runId: number;
  readonly phase: string;
  readonly mode: RunMode;
  readonly method: 'graceful' | 'hard';
  readonly timeoutMs: number;
  readonly driver: ShutdownDriver;
  readonly journal: ShutdownJournal;
  readonly clock: Clock;
  readonly pollIntervalMs: number;
  readonly callTimeoutMs: number;
  readonly hardOffTimeoutMs: number;
  /** True when the run must stop (mains returned before the point of no return). */
  readonly stopping: () => boolean;
  readonly learn: (target: Target, source: 'run' | 'dry', ms: number) => void;
  readonly prior: readonly StepRow[];
  /** Each power action of a real run, before and after, is one line at info. */
  readonly log: Logger;
}

const ACTION_LABEL: Partial<Record<StepAction, string>> = {
  graceful: 'graceful shutdown',
  hard_off: 'hard power-off',
  power_on: 'power on',
};

export type { TargetOutcome } from './journal.js';

export async function runTarget(t: Target, ctx: TargetContext): Promise<{ outcome: TargetOutcome; error?: string }> {
  const { journal, clock } = ctx;
  const startedAt = clock.now();
  const done = ctx.prior.findLast((s) => s.outcome !== null && s.finishedAt !== null);
  if (done?.outcome) return { outcome: done.outcome };

  const step = async <T>(
    action: StepAction,
    fn: () => Promise<T>,
    detail?: (v: T) => string,
  ): Promise<{ ok: true; value: T } | { ok: false; error: string }> => {
    const label = ctx.mode === 'real' ? ACTION_LABEL[action] : undefined;
    const what = `${label ?? action} of ${t.kind} ${t.name} (${t.driver}, phase ${ctx.phase})`;
    const fields = { run: ctx.runId, target: t.name, driver: t.driver, action };
    if (label) ctx.log.info(fields, `${what}: sending`);
    const id = journal.beginStep({
      runId: ctx.runId,
      phase: ctx.phase,
      target: t.name,
      driver: t.driver,
      action,
      at: clock.now(),
    });
    try {
      const value = await withClockTimeout(clock, fn(), ctx.callTimeoutMs, `${t.driver} ${action} ${t.name}`);
      journal.finishStep(
        id,
        clock.now(),
        ctx.mode === 'dry' && action !== 'read' ? 'dry' : 'ok',
        null,
        detail?.(value),
      );
      if (label) ctx.log.info(fields, `${what}: accepted`);
      return { ok: true, value };
    } catch (err) {
      journal.finishStep(id, clock.now(), 'failed', errorMessage(err));
      if (label) ctx.log.warn({ ...fields, err: errorMessage(err) }, `${what}: failed: ${errorMessage(err)}`);
      return { ok: false, error: errorMessage(err) };
    }
  };
  const finish = (
    outcome: TargetOutcome,
    result: StepResult,
    error?: string,
  ): { outcome: TargetOutcome; error?: string } => {
    const note = ctx.driver.report?.(t);
    if (note !== undefined) {
      const rid = journal.beginStep({
        runId: ctx.runId,
        phase: ctx.phase,
        target: t.name,
        driver: t.driver,
        action: 'read',
        at: clock.now(),
      });
      journal.finishStep(rid, clock.now(), 'ok', null, note);
    }
    journal.recordOutcome({
      runId: ctx.runId,
      phase: ctx.phase,
      target: t.name,
      driver: t.driver,
      at: clock.now(),
      result,
      outcome,
      error: error ?? null,
      detail: `final:${outcome}`,
    });
    if (ctx.mode === 'real') {
      const fields = { run: ctx.runId, target: t.name, driver: t.driver, outcome };
      if (outcome === 'failed') ctx.log.warn(fields, `${t.kind} ${t.name} failed: ${error ?? 'failed'}`);
      else if (outcome === 'already_off') ctx.log.info(fields, `${t.kind} ${t.name} was already off`);
      else if (outcome === 'off' || outcome === 'hard_off') {
        const first = ctx.prior[0]?.startedAt ?? startedAt;
        const took = Math.round((clock.now() - first) / 100) / 10;
        ctx.log.info(
          fields,
          `${t.kind} ${t.name} is off after ${took} s${outcome === 'hard_off' ? ' (hard power-off)' : ''}`,
        );
      }
    }
    return error === undefined ? { outcome } : { outcome, error };
  };
  const read = async (): Promise<PowerState> => {
    try {
      return await withClockTimeout(clock, ctx.driver.powerState(t), ctx.callTimeoutMs, `${t.driver} read ${t.name}`);
    } catch {
      return 'unknown';
    }
  };

  // Reads and waits cut short by a crash changed nothing: close them before reading again.
  for (const r of ctx.prior) {
    if (r.finishedAt === null && r.action !== 'graceful' && r.action !== 'hard_off') {
      journal.finishStep(r.id, clock.now(), 'interrupted');
    }
  }
  const first = await step(
    'read',
    () => ctx.driver.powerState(t),
    (s) => s,
  );
  const state: PowerState = first.ok ? first.value : 'unknown';
  if (state === 'off') return finish('already_off', 'ok');
  if (ctx.mode === 'dry') {
    const expected = ctx.driver.expectedDurationMs?.(t, ctx.method === 'graceful' ? 'graceful' : 'hard');
    if (expected !== undefined) ctx.learn(t, 'dry', expected);
    const would = expected === undefined ? 'duration unknown' : `would take ${Math.round(expected / 100) / 10} s`;
    await step(
      ctx.method === 'graceful' ? 'graceful' : 'hard_off',
      () => (ctx.method === 'graceful' ? ctx.driver.shutdown(t) : ctx.driver.powerOff(t)),
      () => would,
    );
    if (!first.ok) return finish('failed', 'failed', first.error);
    return finish('dry', 'dry');
  }
  if (ctx.stopping()) return finish('stopped', 'skipped');

  // Earlier attempts (resume): took effect, or interrupted before it could.
  const settle = (action: StepAction, tookEffect: boolean): StepRow | undefined => {
    const rows = ctx.prior.filter((s) => s.action === action);
    for (const r of rows) {
      if (r.finishedAt === null) {
        journal.finishStep(
          r.id,
          clock.now(),
          tookEffect ? 'took_effect' : 'interrupted',
          null,
          `resumed: power state ${state}`,
        );
      }
    }
    return rows.find((r) => r.result === 'ok' || (r.finishedAt === null && tookEffect));
  };

  let hardNeeded = ctx.method === 'hard';
  let gracefulAt = clock.now();
  if (!hardNeeded) {
    const earlier = settle('graceful', state === 'stopping');
    if (earlier) gracefulAt = earlier.startedAt;
    else {
      gracefulAt = clock.now();
      const sent = await step('graceful', () => ctx.driver.shutdown(t));
      if (!sent.ok) hardNeeded = true;
    }
    if (!hardNeeded) {
      const deadline = gracefulAt + ctx.timeoutMs;
      const off = await waitOff(t, ctx, deadline, read);
      if (off === 'off') {
        ctx.learn(t, 'run', clock.now() - gracefulAt);
        return finish('off', 'ok');
      }
      if (off === 'stopped') return finish('stopped', 'skipped');
      hardNeeded = true;
    }
  }
  const now = await read();
  if (now === 'off') return finish('off', 'ok');
  const earlierHard = settle('hard_off', false);
  if (!earlierHard) {
    const cut = await step('hard_off', () => ctx.driver.powerOff(t));
    if (!cut.ok) return finish('failed', 'failed', `hard power-off failed: ${cut.error}`);
  }
  const off = await waitOff(t, ctx, clock.now() + ctx.hardOffTimeoutMs, read, true);
  if (off === 'off') return finish('hard_off', 'ok');
  return finish('failed', 'timeout', `still ${await read()} ${ctx.hardOffTimeoutMs} ms after the hard power-off`);
}

async function waitOff(
  t: Target,
  ctx: TargetContext,
  deadline: number,
  read: () => Promise<PowerState>,
  ignoreStop = false,
): Promise<'off' | 'timeout' | 'stopped'> {
  let state = await read();
  while (state !== 'off') {
    if (!ignoreStop && ctx.stopping()) return 'stopped';
    const left = deadline - ctx.clock.now();
    if (left <= 0) return 'timeout';
    const slice = Math.min(left, ctx.pollIntervalMs);
    if (ctx.driver.waitForChange) {
      try {
        state = await withClockTimeout(
          ctx.clock,
          ctx.driver.waitForChange(t, state, slice),
          slice + ctx.callTimeoutMs,
          `${t.driver} wait ${t.name}`,
        );
      } catch {
        state = 'unknown';
      }
    } else {
      await sleep(ctx.clock, slice);
      state = await read();
    }
  }
  return 'off';
}
