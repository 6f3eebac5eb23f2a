import type { RestoreConfig, RestoreHostConfig } from '../../config/restore-schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { UpsEventType } from '../../ups/events.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { Listeners } from '../../util/listeners.js';
import type { ShutdownDriver } from '../drivers/driver.js';
import type { RestoreRow, RunRow, ShutdownJournal } from '../journal.js';
import type { ResolvedPlan } from '../plan.js';
import { runKind } from '../run-abort.js';
import type { HostPower } from './host-power.js';
import { RESTORE_PHASE_PREFIX, restorePlan, wantedBefore, type RestorePlan } from './restore-plan.js';
import type { RestoreSnapshot } from './restore-summary.js';
import { runRestoreSteps, type RestoreOutcome } from './restore-steps.js';
import {
  mainsSince,
  returnConditions,
  waitingFor,
  type BatteryNow,
  type ReturnConditions,
} from './return-conditions.js';

/** What the restore asks of the UPS side. */
export interface RestoreUps {
  mainsOnline(ups: string): boolean;
  battery(ups: string): BatteryNow;
  /** Clears the FSD latch on upsguard's NUT server, so NUT secondaries that boot are not told to shut down again. */
  clearFsd?(ups: string): Promise<void>;
}

export interface RestoreRunnerDeps {
  readonly journal: ShutdownJournal;
  readonly drivers: ReadonlyMap<string, ShutdownDriver>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: () => RestoreConfig;
  readonly ups: RestoreUps;
  readonly hostPower: (h: RestoreHostConfig) => HostPower;
  readonly timings: { readonly pollIntervalMs: number; readonly callTimeoutMs: number };
  /** A real run is going: no restore begins, and one going stops starting things. */
  readonly realRunActive: () => boolean;
  /**
   * The outage latch is still tripped: the restore waits for the policy to arm the trigger again, so that once it
   * starts things, a new outage can start a new run over the partly restored cluster.
   */
  readonly latched: () => boolean;
  readonly notify: (type: UpsEventType, ups: string, message: string) => void;
}

export type RestoreRunnerEvents = { changed: [] };

/** How far back the restore looks for the outage run to restore from, and for runs whose restore it inherits. */
const RUNS_LOOKED_AT = 20;

/** What the restore works on now: the outage run, its restore row and the order of things to bring back. */
export interface RestoreSubject {
  readonly run: RunRow;
  readonly ups: string;
  readonly restore: RestoreRow | undefined;
  readonly plan: RestorePlan;
}

/**
 * The restore after an outage, a long-lived part of the shutdown service. It watches (every poll interval) for a real
 * run of the whole plan that completed (or failed past the point of no return) and whose restore has not finished;
 * once mains has been steady and the battery clears the first tier's bar, it brings back what was running when that
 * run began (restore-steps.ts). Mains failing again stops it between steps with the state recorded; it begins again
 * when the conditions hold, from where the journal says it was. On boot it finds such a run in the store by itself.
 */
export class RestoreRunner {
  readonly events: Listeners<RestoreRunnerEvents>;
  private readonly mains = new Map<string, number | null>();
  private timer: TimerHandle | null = null;
  private going: Promise<void> | null = null;
  private halted = false;
  private waiting: string | null = null;

  constructor(private readonly d: RestoreRunnerDeps) {
    this.events = new Listeners<RestoreRunnerEvents>((event, err) => {
      d.log.error({ event, err: errorMessage(err) }, 'restore listener failed');
    });
  }

  start(): void {
    this.halted = false;
    this.schedule();
  }

  /** Nothing new begins; a restore going is left `running` in the journal and the next start resumes it. */
  stop(): void {
    this.halted = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The restore going now, settled when it stops (done, interrupted or halted); resolved when none is. */
  settled(): Promise<void> {
    return this.going ?? Promise.resolve();
  }

  isRunning(): boolean {
    return this.going !== null;
  }

  /** Why the restore waits now (mains not steady yet, a tier's battery bar), or null. */
  waitingFor(): string | null {
    return this.waiting;
  }

  /** The outage run to restore from now, or null when there is none (no outage, or its restore has finished). */
  subject(): RestoreSubject | null {
    return this.find(false);
  }

  /** Where the restore stands, for the API, the page and `upsguard status`. */
  snapshot(): RestoreSnapshot {
    const subject = this.find(true);
    const enabled = this.d.config().enabled;
    return {
      enabled,
      subject,
      steps: subject
        ? this.d.journal.steps(subject.run.id).filter((x) => x.phase.startsWith(RESTORE_PHASE_PREFIX))
        : [],
      conditions: subject ? this.conditions(subject.ups) : null,
      waiting: this.waiting,
      running: this.going !== null,
    };
  }

  /** Mains as each snapshot shows it, so the steady time counts from when it came back, not from the next look. */
  observe(ups: string, online: boolean): void {
    this.mains.set(ups, mainsSince(this.mains.get(ups) ?? null, online, this.d.clock.now()));
  }

  private find(finishedToo: boolean): RestoreSubject | null {
    const runs = this.d.journal.runs(RUNS_LOOKED_AT);
    for (const [i, r] of runs.entries()) {
      if (r.mode !== 'real' || runKind(r) !== 'outage') continue;
      if (r.status === 'running') return null;
      // An aborted run (mains came back before the point of no return) restarted what it shed; look further back.
      if (r.status === 'aborted' || (r.status === 'failed' && !r.passedPonr)) continue;
      const restore = this.d.journal.restore(r.id);
      const finished = restore?.status === 'restored' || restore?.status === 'incomplete';
      if (finished && !finishedToo) return null;
      const chain = [r, ...runs.slice(i + 1).filter((x) => x.mode === 'real' && runKind(x) === 'outage')].map((x) => ({
        before: this.d.journal.before(x.id),
        restore: this.d.journal.restore(x.id),
      }));
      const recorded = chain[0]?.before ?? [];
      if (recorded.length === 0) return null;
      const plan = JSON.parse(r.planJson) as ResolvedPlan;
      return { run: r, ups: plan.loadOff?.ups ?? '', restore, plan: restorePlan(plan, wantedBefore(chain), recorded) };
    }
    return null;
  }

  /** The return conditions as they stand for a UPS. */
  conditions(ups: string): ReturnConditions {
    const online = this.d.ups.mainsOnline(ups);
    const since = mainsSince(this.mains.get(ups) ?? null, online, this.d.clock.now());
    this.mains.set(ups, since);
    return returnConditions(this.d.config(), {
      mainsOnline: online,
      mainsSince: since,
      now: this.d.clock.now(),
      battery: this.d.ups.battery(ups),
    });
  }

  /** One look: begins the restore when there is one to do and the conditions hold. */
  tick(): void {
    if (this.halted || this.going) return;
    const cfg = this.d.config();
    if (!cfg.enabled) return;
    const s = this.subject();
    if (!s) return;
    const c = this.conditions(s.ups);
    const why = this.d.realRunActive()
      ? 'a shutdown run is going'
      : (waitingFor(c, 'first') ??
        (this.d.latched() ? 'the shutdown trigger is not armed again yet (shutdown.rearm_after_s)' : null));
    this.setWaiting(why);
    if (why !== null) return;
    this.going = this.execute(s)
      .catch((err: unknown) => {
        this.d.log.error({ run: s.run.id, err: errorMessage(err) }, `restore after run ${s.run.id} failed`);
      })
      .finally(() => {
        this.going = null;
        this.events.emit('changed');
      });
  }

  private schedule(): void {
    if (this.halted) return;
    this.timer = this.d.clock.setTimeout(() => {
      this.timer = null;
      try {
        this.tick();
      } catch (err) {
        this.d.log.error({ err: errorMessage(err) }, 'restore: look failed');
      }
      this.schedule();
    }, this.d.timings.pollIntervalMs);
  }

  private setWaiting(why: string | null): void {
    if (why === this.waiting) return;
    this.waiting = why;
    this.events.emit('changed');
  }

  private async execute(s: RestoreSubject): Promise<void> {
    const { clock, log, journal } = this.d;
    const cfg = this.d.config();
    const id = s.run.id;
    const prev = s.restore;
    const row: RestoreRow = {
      runId: id,
      status: 'running',
      mainsBackAt: prev?.mainsBackAt ?? this.mains.get(s.ups) ?? clock.now(),
      startedAt: prev?.startedAt ?? clock.now(),
      finishedAt: null,
      summary: null,
    };
    journal.saveRestore(row);
    const count = s.plan.hosts.length + s.plan.tiers.reduce((n, t) => n + t.targets.length, 0);
    const how = prev ? `resumed (was ${prev.status})` : 'started';
    const msg = `restore after run ${id} ${how}: ${s.plan.hosts.length} hosts and ${count - s.plan.hosts.length} VMs to bring back`;
    log.warn({ run: id }, msg);
    this.d.notify('RESTORE_STARTED', s.ups, msg);
    this.events.emit('changed');
    const clearFsd = this.d.ups.clearFsd?.bind(this.d.ups);
    const outcome = await runRestoreSteps(
      {
        runId: id,
        ups: s.ups,
        journal,
        drivers: this.d.drivers,
        clock,
        log,
        cfg,
        hostPower: this.d.hostPower,
        ...this.d.timings,
        battery: () => this.d.ups.battery(s.ups),
        interrupt: () => this.interruption(s.ups),
        ...(clearFsd ? { clearFsd: () => clearFsd(s.ups) } : {}),
        notify: (type, message) => {
          this.d.notify(type, s.ups, message);
        },
        waiting: (why) => {
          this.setWaiting(why);
        },
      },
      s.plan,
    );
    this.setWaiting(null);
    this.finish(s, row, outcome, count);
  }

  /** Why starting must stop now, or null. */
  private interruption(ups: string): string | null {
    if (this.halted) return 'the appliance is stopping';
    if (!this.d.ups.mainsOnline(ups)) {
      this.mains.set(ups, null);
      return 'mains failed again';
    }
    if (this.d.realRunActive()) return 'a shutdown run started';
    return null;
  }

  private finish(s: RestoreSubject, row: RestoreRow, o: RestoreOutcome, count: number): void {
    const { clock, log, journal } = this.d;
    const id = s.run.id;
    if (o.interrupted === 'the appliance is stopping') {
      log.warn({ run: id }, `restore after run ${id}: the appliance is stopping; it resumes at the next start`);
      return;
    }
    const notBack = o.failed.map((f) => `${f.name} (${f.why})`);
    if (o.interrupted !== null) {
      const summary = `interrupted: ${o.interrupted}; ${o.started.length} started so far${notBack.length > 0 ? `; not back: ${notBack.join(', ')}` : ''}`;
      journal.saveRestore({ ...row, status: 'interrupted', summary });
      log.warn({ run: id }, `restore after run ${id} ${summary}`);
      this.d.notify('RESTORE_INCOMPLETE', s.ups, `restore after run ${id} ${summary}`);
      return;
    }
    const now = clock.now();
    const tookS = Math.round((now - (row.mainsBackAt ?? row.startedAt)) / 1000);
    if (notBack.length > 0) {
      const summary = `${notBack.length} of ${count} not back: ${notBack.join(', ')}`;
      journal.saveRestore({ ...row, status: 'incomplete', finishedAt: now, summary });
      log.warn({ run: id }, `restore after run ${id} incomplete: ${summary}`);
      this.d.notify('RESTORE_INCOMPLETE', s.ups, `restore after run ${id}: ${summary}`);
      return;
    }
    const autostarted = o.alreadyOn.length > 0 ? ` (${o.alreadyOn.length} already on by the platform's autostart)` : '';
    const summary = `all ${count} back as before the outage in ${tookS} s from mains back${autostarted}`;
    journal.saveRestore({ ...row, status: 'restored', finishedAt: now, summary });
    log.info({ run: id, tookS }, `restore after run ${id}: ${summary}`);
    this.d.notify('RESTORED', s.ups, `restore after run ${id}: ${summary}`);
  }
}
