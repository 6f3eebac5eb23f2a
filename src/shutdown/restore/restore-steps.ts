import type { RestoreConfig, RestoreHostConfig } from '../../config/restore-schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { UpsEventType } from '../../ups/events.js';
import type { Clock } from '../../util/clock.js';
import type { PowerState, ShutdownDriver, Target } from '../drivers/driver.js';
import type { ShutdownJournal, StepAction, StepRow } from '../journal.js';
import { Limiter, sleep, withClockTimeout } from '../limits.js';
import type { HostPower } from './host-power.js';
import {
  RESTORE_HOSTS_PHASE,
  RESTORE_PHASE_PREFIX,
  RESTORE_PLATFORM_PHASE,
  RESTORE_START_PHASE,
  type RestorePlan,
  type RestoreTier,
} from './restore-plan.js';
import { checkBar, type BatteryNow } from './return-conditions.js';

export interface RestoreStepDeps {
  readonly runId: number;
  readonly ups: string;
  readonly journal: ShutdownJournal;
  readonly drivers: ReadonlyMap<string, ShutdownDriver>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly cfg: RestoreConfig;
  readonly hostPower: (h: RestoreHostConfig) => HostPower;
  readonly callTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly battery: () => BatteryNow;
  /** Why starting must stop now (mains failed again, a run started, the appliance stops), or null. */
  readonly interrupt: () => string | null;
  readonly clearFsd?: () => Promise<void>;
  readonly notify: (type: UpsEventType, message: string) => void;
  /** The restore waits for a tier's battery bar; null once it need not. */
  readonly waiting: (why: string | null) => void;
}

export interface RestoreOutcome {
  /** Set when starting stopped before the end; what was not reached is not failed. */
  readonly interrupted: string | null;
  readonly failed: readonly { readonly name: string; readonly why: string }[];
  readonly started: readonly string[];
  /** Found on already (the platform's autostart, HA): counted done, not started again. */
  readonly alreadyOn: readonly string[];
}

class Interrupted extends Error {}

/**
 * Runs one restore, resumable: every action is journaled on the outage run before and after it is acted on, and on a
 * resume the journal says what went out already, so nothing is started twice. The FSD latch first, then the hosts
 * (out-of-band power-on where configured, each waited for until its platform answers), the platform state put back,
 * then each tier of VMs with its battery bar, concurrency and timeout. Mains failing again stops it between steps.
 */
export async function runRestoreSteps(d: RestoreStepDeps, plan: RestorePlan): Promise<RestoreOutcome> {
  const prior = d.journal.steps(d.runId).filter((s) => s.phase.startsWith(RESTORE_PHASE_PREFIX));
  const failed = new Map<string, string>();
  const started: string[] = [];
  const alreadyOn: string[] = [];
  const ctx = new StepContext(d, prior);
  try {
    await clearFsd(d, ctx);
    const up = await bringHostsBack(d, ctx, plan, failed);
    await restorePlatform(d, ctx, plan, up, failed);
    for (const tier of plan.tiers) await startTier(d, ctx, tier, up, failed, started, alreadyOn);
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    return { interrupted: err.message, failed: [...failed].map(([name, why]) => ({ name, why })), started, alreadyOn };
  }
  return { interrupted: null, failed: [...failed].map(([name, why]) => ({ name, why })), started, alreadyOn };
}

/** The journal as the restore writes it, with what an earlier attempt wrote. */
class StepContext {
  constructor(
    private readonly d: RestoreStepDeps,
    private readonly prior: readonly StepRow[],
  ) {}

  rows(phase: string, target: string, action: StepAction): StepRow[] {
    return this.prior.filter((s) => s.phase === phase && s.target === target && s.action === action);
  }

  /** The last row of an earlier attempt, closing it as interrupted when that attempt was cut off mid-step. */
  last(phase: string, target: string, action: StepAction, state?: PowerState): StepRow | undefined {
    const row = this.rows(phase, target, action).at(-1);
    if (row && row.finishedAt === null) {
      const effect = state === 'on' || state === 'booting';
      this.d.journal.finishStep(row.id, this.d.clock.now(), effect ? 'took_effect' : 'interrupted');
      return { ...row, finishedAt: this.d.clock.now(), result: effect ? 'took_effect' : 'interrupted' };
    }
    return row;
  }

  begin(phase: string, target: string, driver: string, action: StepAction, detail?: string): number {
    this.check();
    const at = this.d.clock.now();
    return this.d.journal.beginStep({
      runId: this.d.runId,
      phase,
      target,
      driver,
      action,
      at,
      ...(detail ? { detail } : {}),
    });
  }

  /** Throws Interrupted when the restore must stop starting things. */
  check(): void {
    const why = this.d.interrupt();
    if (why !== null) throw new Interrupted(why);
  }

  call<T>(p: Promise<T>, what: string, ms = this.d.callTimeoutMs): Promise<T> {
    return withClockTimeout(this.d.clock, p, ms, what);
  }
}

async function clearFsd(d: RestoreStepDeps, ctx: StepContext): Promise<void> {
  if (!d.clearFsd || d.ups === '') return;
  if (ctx.last(RESTORE_START_PHASE, d.ups, 'fsd')?.result === 'ok') return;
  const id = ctx.begin(RESTORE_START_PHASE, d.ups, 'ups', 'fsd');
  try {
    await ctx.call(d.clearFsd(), `clear FSD on ${d.ups}`);
    d.journal.finishStep(id, d.clock.now(), 'ok', null, 'FSD cleared for NUT clients');
  } catch (err) {
    d.journal.finishStep(id, d.clock.now(), 'failed', errorMessage(err));
    d.log.warn({ ups: d.ups, err: errorMessage(err) }, 'restore: cannot clear FSD');
  }
}

/** Whether the host's platform answers (hostReady where the driver has it, else its power reads on). */
async function readiness(
  d: RestoreStepDeps,
  ctx: StepContext,
  h: Target,
): Promise<{ ready: boolean; message: string; power: PowerState }> {
  const drv = d.drivers.get(h.driver);
  if (!drv) return { ready: false, message: `no driver ${h.driver}`, power: 'unknown' };
  let power: PowerState = 'unknown';
  try {
    power = await ctx.call(drv.powerState(h), `read ${h.name}`);
  } catch (err) {
    if (!drv.hostReady) return { ready: false, message: errorMessage(err), power };
  }
  if (!drv.hostReady) return { ready: power === 'on', message: `power ${power}`, power };
  try {
    const r = await ctx.call(drv.hostReady(h), `is ${h.name} ready`);
    return { ...r, power };
  } catch (err) {
    return { ready: false, message: errorMessage(err), power };
  }
}

async function bringHostsBack(
  d: RestoreStepDeps,
  ctx: StepContext,
  plan: RestorePlan,
  failed: Map<string, string>,
): Promise<Set<string>> {
  const up = new Set<string>();
  const limit = new Limiter(d.cfg.concurrency);
  const byName = new Map(d.cfg.hosts.map((h) => [h.name, h]));
  await Promise.all(
    plan.hosts.map(async (h) => {
      const release = await limit.acquire();
      try {
        if (ctx.rows(RESTORE_HOSTS_PHASE, h.name, 'wait').some((s) => s.result === 'ok')) {
          up.add(h.name);
          return;
        }
        ctx.check();
        let now = await readiness(d, ctx, h);
        const oob = byName.get(h.name);
        const sent = ctx.last(RESTORE_HOSTS_PHASE, h.name, 'power_on');
        // An earlier attempt's power-on that may not have gone out is sent again: powering on a host that is coming up
        // changes nothing (a magic packet, an IPMI chassis power on).
        if (!now.ready && oob && sent?.result !== 'ok') {
          const way = d.hostPower(oob);
          const id = ctx.begin(RESTORE_HOSTS_PHASE, h.name, h.driver, 'power_on', way.describe);
          try {
            await ctx.call(way.powerOn(), `power on ${h.name} (${way.describe})`);
            d.journal.finishStep(id, d.clock.now(), 'ok', null, way.describe);
            d.log.info({ host: h.name, way: way.describe }, `restore: ${h.name} powered on (${way.describe})`);
          } catch (err) {
            d.journal.finishStep(id, d.clock.now(), 'failed', errorMessage(err));
            d.log.warn({ host: h.name, err: errorMessage(err) }, `restore: power on of ${h.name} failed`);
          }
        }
        ctx.last(RESTORE_HOSTS_PHASE, h.name, 'wait');
        const timeoutS = oob?.ready_timeout_s ?? d.cfg.host_ready_timeout_s;
        const id = ctx.begin(RESTORE_HOSTS_PHASE, h.name, h.driver, 'wait');
        const deadline = d.clock.now() + timeoutS * 1000;
        while (!now.ready && d.clock.now() < deadline) {
          if (d.interrupt() !== null) {
            d.journal.finishStep(id, d.clock.now(), 'interrupted', null, now.message);
            ctx.check();
          }
          await pause(d, h, now.power, deadline);
          now = await readiness(d, ctx, h);
        }
        if (now.ready) {
          d.journal.finishStep(id, d.clock.now(), 'ok', null, now.message);
          up.add(h.name);
          d.notify('HOST_BACK', `${h.name} is back: ${now.message}`);
        } else {
          const why = `did not answer within ${timeoutS} s (${now.message})`;
          d.journal.finishStep(id, d.clock.now(), 'timeout', why, now.message);
          failed.set(h.name, why);
        }
      } finally {
        release();
      }
    }),
  );
  return up;
}

/**
 * Waits for the next look: at the target's next power event where the driver has them, else a poll interval. Never
 * longer than a poll interval: a host that is dark now boots when its UPS's output returns, which no driver announces.
 */
async function pause(d: RestoreStepDeps, t: Target, from: PowerState, deadline: number): Promise<void> {
  const drv = d.drivers.get(t.driver);
  const left = Math.max(1, Math.min(deadline - d.clock.now(), d.pollIntervalMs));
  if (drv?.waitForChange && from !== 'unknown' && from !== 'on') {
    try {
      await withClockTimeout(d.clock, drv.waitForChange(t, from, left), left + d.callTimeoutMs, `watch ${t.name}`);
      return;
    } catch {
      // A watch that fails falls back to the poll below.
    }
  }
  await sleep(d.clock, left);
}

async function restorePlatform(
  d: RestoreStepDeps,
  ctx: StepContext,
  plan: RestorePlan,
  up: ReadonlySet<string>,
  failed: Map<string, string>,
): Promise<void> {
  const targets = [...plan.hosts, ...plan.tiers.flatMap((t) => t.targets)];
  for (const t of targets) {
    const before = plan.before.get(t.name)?.platform;
    const drv = d.drivers.get(t.driver);
    if (!before || Object.keys(before).length === 0 || !drv?.restorePlatform) continue;
    const host = t.kind === 'host' ? t.name : t.host;
    if (host !== undefined && !up.has(host)) continue;
    if (ctx.last(RESTORE_PLATFORM_PHASE, t.name, 'platform')?.result === 'ok') continue;
    const id = ctx.begin(RESTORE_PLATFORM_PHASE, t.name, t.driver, 'platform', JSON.stringify(before));
    try {
      const line = await ctx.call(drv.restorePlatform(t, before), `put back the platform state of ${t.name}`);
      d.journal.finishStep(id, d.clock.now(), 'ok', null, line ?? 'already as before');
    } catch (err) {
      d.journal.finishStep(id, d.clock.now(), 'failed', errorMessage(err));
      failed.set(t.name, `platform state not put back: ${errorMessage(err)}`);
    }
  }
}

async function startTier(
  d: RestoreStepDeps,
  ctx: StepContext,
  tier: RestoreTier,
  up: ReadonlySet<string>,
  failed: Map<string, string>,
  started: string[],
  alreadyOn: string[],
): Promise<void> {
  const bar = tier.bar === 'first' ? d.cfg.first_tier : d.cfg.other_tiers;
  for (;;) {
    ctx.check();
    const c = checkBar(bar, d.battery());
    if (c.met) break;
    d.waiting(`${tier.phase}: battery below the bar (${c.why})`);
    await sleep(d.clock, d.pollIntervalMs);
  }
  d.waiting(null);
  const limit = new Limiter(d.cfg.concurrency);
  const results = await Promise.allSettled(
    tier.targets.map(async (t) => {
      const release = await limit.acquire();
      try {
        await startVm(d, ctx, tier.phase, t, up, failed, started, alreadyOn);
      } finally {
        release();
      }
    }),
  );
  const stop = results.find((r) => r.status === 'rejected');
  if (stop) throw stop.reason;
}

async function startVm(
  d: RestoreStepDeps,
  ctx: StepContext,
  phase: string,
  t: Target,
  up: ReadonlySet<string>,
  failed: Map<string, string>,
  started: string[],
  alreadyOn: string[],
): Promise<void> {
  if (ctx.rows(phase, t.name, 'wait').some((s) => s.result === 'ok')) return;
  const drv = d.drivers.get(t.driver);
  if (!drv) {
    failed.set(t.name, `no driver ${t.driver}`);
    return;
  }
  if (t.host !== undefined && !up.has(t.host)) {
    failed.set(t.name, `its host ${t.host} did not come back`);
    return;
  }
  ctx.check();
  const read = async (): Promise<PowerState> => {
    try {
      return await ctx.call(drv.powerState(t), `read ${t.name}`);
    } catch {
      return 'unknown';
    }
  };
  let state = await read();
  const sent = ctx.last(phase, t.name, 'power_on', state);
  const wentOut = sent?.result === 'ok' || sent?.result === 'took_effect' || sent?.result === 'skipped';
  if (!wentOut) {
    if (state === 'on' || state === 'booting') {
      const id = ctx.begin(phase, t.name, t.driver, 'power_on');
      d.journal.finishStep(id, d.clock.now(), 'skipped', null, `already ${state}: the platform started it`);
      alreadyOn.push(t.name);
    } else {
      const id = ctx.begin(phase, t.name, t.driver, 'power_on');
      try {
        await ctx.call(drv.powerOn(t), `power on ${t.name}`);
        d.journal.finishStep(id, d.clock.now(), 'ok', null, `${t.driver}: power on`);
        started.push(t.name);
      } catch (err) {
        d.journal.finishStep(id, d.clock.now(), 'failed', errorMessage(err));
        failed.set(t.name, `start failed: ${errorMessage(err)}`);
        return;
      }
      // A driver with power events answers at once when the VM is past booting already; the others are read.
      state = drv.waitForChange ? 'booting' : await read();
    }
  }
  ctx.last(phase, t.name, 'wait');
  const id = d.journal.beginStep({
    runId: d.runId,
    phase,
    target: t.name,
    driver: t.driver,
    action: 'wait',
    at: d.clock.now(),
  });
  const deadline = d.clock.now() + d.cfg.vm_start_timeout_s * 1000;
  while (state !== 'on' && d.clock.now() < deadline) {
    // The start went out; a resumed restore waits for it again and never sends it twice.
    if (d.interrupt() !== null) {
      d.journal.finishStep(id, d.clock.now(), 'interrupted', null, `power ${state}`);
      ctx.check();
    }
    await pause(d, t, state, deadline);
    state = await read();
  }
  if (state === 'on') d.journal.finishStep(id, d.clock.now(), 'ok', null, 'power on');
  else {
    const why = `did not come on within ${d.cfg.vm_start_timeout_s} s (still ${state})`;
    d.journal.finishStep(id, d.clock.now(), 'timeout', why, `power ${state}`);
    failed.set(t.name, why);
  }
}
