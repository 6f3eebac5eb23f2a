import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import type { PlatformState, PowerState, ShutdownDriver, Target } from '../drivers/driver.js';
import type { RestoreJournal, TargetBefore } from '../journal.js';
import { Limiter, withClockTimeout } from '../limits.js';
import type { ResolvedPlan } from '../plan.js';

/** Reads at once per driver while recording: enough to make 1,000 targets one short wait, few enough for an API. */
const READS_PER_DRIVER = 16;

/** Every target a plan covers, with the phase it is in; the final hosts as `(final)`. */
export function planTargets(plan: ResolvedPlan): { target: Target; phase: string }[] {
  return [
    ...plan.phases.flatMap((p) => p.targets.map((target) => ({ target, phase: p.name }))),
    ...plan.finalHosts.map((target) => ({ target, phase: '(final)' })),
  ];
}

/**
 * Records what every target of the plan is doing before the run acts: its power state and, where the driver has it,
 * its platform state. The whole recording is bounded by one `budgetMs` (a shutdown must not wait on a slow API): a
 * target not read by then is recorded as `unknown`, and a restore leaves it off. Written in one transaction.
 */
export async function recordTargetsBefore(o: {
  runId: number;
  plan: ResolvedPlan;
  drivers: ReadonlyMap<string, ShutdownDriver>;
  journal: RestoreJournal;
  clock: Clock;
  log: Logger;
  budgetMs: number;
}): Promise<TargetBefore[]> {
  const { clock } = o;
  const deadline = clock.now() + o.budgetMs;
  const limiters = new Map<string, Limiter>();
  const left = (): number => Math.max(1, deadline - clock.now());
  const read = async <T>(p: () => Promise<T>, what: string): Promise<T> => withClockTimeout(clock, p(), left(), what);
  const rows = await Promise.all(
    planTargets(o.plan).map(async ({ target: t, phase }): Promise<TargetBefore> => {
      const d = o.drivers.get(t.driver);
      let limiter = limiters.get(t.driver);
      if (!limiter) limiters.set(t.driver, (limiter = new Limiter(READS_PER_DRIVER)));
      let power: PowerState = 'unknown';
      let platform: PlatformState | null = null;
      if (d) {
        const release = await limiter.acquire();
        try {
          power = await read(() => d.powerState(t), `read ${t.name}`);
          if (d.platformState) platform = await read(() => d.platformState!(t), `platform state of ${t.name}`);
        } catch (err) {
          o.log.warn({ run: o.runId, target: t.name, err: errorMessage(err) }, `state of ${t.name} before the run`);
        } finally {
          release();
        }
      }
      return {
        runId: o.runId,
        target: t.name,
        driver: t.driver,
        kind: t.kind,
        host: t.host ?? null,
        phase,
        power,
        platform,
        at: clock.now(),
      };
    }),
  );
  o.journal.recordBefore(rows);
  return rows;
}
