import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { UpsEventType, UpsSnapshot } from '../ups/events.js';
import type { Clock } from '../util/clock.js';
import type { OutageLatch } from './journal.js';
import { decide, describeDecision, track, trackAll, type Decision, type PolicyState } from './policy.js';

export interface PolicyWatcherDeps {
  readonly config: Readonly<Config>;
  /** The config in force when the policy can change without a restart (the page's editor); else `config`. */
  readonly current?: () => Readonly<Config>;
  /** The tripped latch in the journal: it survives a restart. */
  readonly latch: OutageLatch;
  readonly clock: Clock;
  readonly log: Logger;
  /** The plan's estimated duration, for the runtime-aware rule; null without a plan. */
  readonly planEstimateS: () => number | null;
  /** Whether a real run is going now: the latch is never released under one. */
  readonly realRunActive: () => boolean;
  /** Starts the real run; called once per outage. */
  readonly trigger: (reason: string) => void;
  readonly event: (type: UpsEventType, ups: string, message: string) => void;
}

/**
 * The policy's state over time: every snapshot folds into it, each decision is logged and recorded when its level
 * changes, and a critical one trips the latch and starts the run, once per outage. The latch lives in the journal; it is
 * released only once mains has been back on every configured UPS, output on, for `shutdown.rearm_after_s`.
 */
export class PolicyWatcher {
  private state: PolicyState = {};
  private last: Decision | null = null;
  private tripped = false;
  private steadySince: number | null = null;
  /** Off until unfinished runs have been resumed, so a restart never starts a second run beside the first. */
  private armed = false;

  constructor(private readonly d: PolicyWatcherDeps) {
    // Every configured UPS starts as never reached, so one that never answers is never taken for "normal".
    const state: Record<string, ReturnType<typeof track>> = {};
    for (const u of d.config.ups) {
      state[u.name] = track(undefined, {
        ups: u.name,
        at: d.clock.now(),
        variables: {},
        status: [],
        comms: 'unknown',
        lastContactAt: 0,
      });
    }
    this.state = state;
  }

  /** Reads the latch from the journal and starts acting on decisions. */
  arm(): void {
    this.tripped = this.d.latch.latch() !== null;
    this.armed = true;
  }

  /** Latches the outage without starting a run (a run left unfinished by a crash is one). */
  latch(reason: string): void {
    this.d.latch.setLatch(this.d.clock.now(), reason);
    this.tripped = true;
  }

  decision(): Decision | null {
    return this.last;
  }

  /** What the policy knows of each UPS now, for the forecast and the policy page. */
  tracked(): PolicyState {
    return this.state;
  }

  /** The outage has tripped the trigger and it is not re-armed yet. */
  isLatched(): boolean {
    return this.tripped;
  }

  onSnapshot(s: UpsSnapshot): Decision {
    this.state = trackAll(this.state, s);
    return this.evaluate();
  }

  evaluate(): Decision {
    const { clock } = this.d;
    const config = this.d.current?.() ?? this.d.config;
    const now = clock.now();
    const d = decide(this.state, config.policy, now, this.d.planEstimateS());
    const prev = this.last;
    this.last = d;
    if (prev?.level !== d.level && (prev !== null || d.level !== 'normal')) this.report(prev, d);
    const steady = d.level === 'normal' && this.allOnLine();
    this.steadySince = steady ? (this.steadySince ?? now) : null;
    if (d.level === 'critical' && !this.tripped && this.armed) {
      this.latch(describeDecision(d));
      this.d.trigger(describeDecision(d));
    } else if (
      this.tripped &&
      this.steadySince !== null &&
      now - this.steadySince >= config.shutdown.rearm_after_s * 1000 &&
      !this.d.realRunActive()
    ) {
      this.tripped = false;
      this.d.latch.clearLatch();
      this.d.log.info(
        { holdS: config.shutdown.rearm_after_s },
        'mains has been back on every UPS for the hold: the shutdown trigger is armed again',
      );
    }
    return d;
  }

  private report(prev: Decision | null, d: Decision): void {
    const type: UpsEventType =
      d.level === 'critical' ? 'POLICY_CRITICAL' : d.level === 'warning' ? 'POLICY_WARNING' : 'POLICY_NORMAL';
    // A warning names each UPS once (every reason starts with it) and says "on battery", not "on battery for 0 s".
    const message =
      d.level === 'warning'
        ? d.reasons.map((r) => (r.trigger === 'on_battery' ? `${r.ups}: on battery` : r.message)).join('; ')
        : describeDecision(d);
    this.d.event(type, d.reasons[0]?.ups ?? '', message);
    const first = d.reasons[0];
    const line =
      d.level === 'normal'
        ? `policy: normal (was ${prev?.level ?? 'unknown'})`
        : `policy: ${d.level} (${first?.trigger ?? '?'}): ${d.reasons.map((r) => r.message).join('; ')}`;
    const fields = { policy: d.level, trigger: first?.trigger, ups: first?.ups };
    if (d.level === 'critical') this.d.log.warn(fields, line);
    else this.d.log.info(fields, line);
  }

  /**
   * Mains is back on every configured UPS, heard from, with its output on: not while a load-off has left it dark, and
   * not before each UPS has been heard at all.
   */
  private allOnLine(): boolean {
    return this.d.config.ups.every((u) => {
      const t = this.state[u.name];
      return (
        t !== undefined &&
        (t.comms === 'ok' || t.comms === 'stale') &&
        t.status.includes('OL') &&
        !t.status.includes('OB') &&
        !t.status.includes('OFF')
      );
    });
  }
}
