import type { FastifyInstance } from 'fastify';
import type { PolicyConfig } from '../../config/shutdown-schema.js';
import { forecast, type Forecast } from '../../shutdown/forecast.js';
import { decide, type Decision } from '../../shutdown/policy.js';
import type { DecisionResponse } from '../api-types/decision.js';
import type { WebDeps } from '../deps.js';
import type { PolicyEditDeps } from './policy-edit-deps.js';

/** The forecast as the API gives it. */
export function decisionResponse(f: Forecast, now: number): DecisionResponse {
  return {
    level: f.level,
    sentence: f.sentence,
    startsAt: f.startsAt === null ? null : new Date(f.startsAt).toISOString(),
    startsInS: f.startsInS,
    rule: f.rule,
    ups: f.ups,
    onBatteryS: f.onBatteryS,
    running: f.running,
    latched: f.latched,
    asOf: new Date(now).toISOString(),
  };
}

/**
 * The forecast now, under the policy in force or a candidate one (the editor's preview: decided afresh with the same
 * `decide`, never acted on).
 */
export function forecastNow(
  p: PolicyEditDeps,
  now: number,
  candidate?: PolicyConfig,
): { forecast: Forecast; decision: Decision } {
  const config = p.config();
  const policy = candidate ?? config.policy;
  const plan = p.plan();
  const estimateS = plan?.estimateS ?? null;
  const state = p.policyState();
  const current = p.decision();
  const decision = candidate || current === null ? decide(state, policy, now, estimateS) : current;
  return {
    decision,
    forecast: forecast({
      policy,
      state,
      decision,
      plan,
      now,
      running: p.running(),
      latched: p.latched(),
      rearmAfterS: config.shutdown.rearm_after_s,
      starts: p.outageStarts(now),
    }),
  };
}

/** GET /api/decision's answer now; GET /api/me?overview=1 carries the same. */
export function decisionNow(p: PolicyEditDeps, now: number): DecisionResponse {
  return decisionResponse(forecastNow(p, now).forecast, now);
}

/**
 * Follows the decision over time: every snapshot (after the policy has taken it) and every applied edit, and puts a
 * `decision` message on the live bus when the level, the rule or the start time (by more than 2 s) changes.
 */
export class DecisionFeed {
  private last: DecisionResponse | null = null;
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly p: PolicyEditDeps,
    private readonly deps: Pick<WebDeps, 'live' | 'now'>,
  ) {}

  start(): void {
    this.off.push(this.deps.live.on('snapshot', () => this.update()));
    this.off.push(this.p.onApplied(() => this.update()));
  }

  stop(): void {
    for (const f of this.off.splice(0)) f();
  }

  current(): DecisionResponse {
    return decisionNow(this.p, this.deps.now());
  }

  update(): void {
    const d = this.current();
    const prev = this.last;
    const moved = (a: string | null, b: string | null): boolean =>
      (a === null) !== (b === null) || (a !== null && b !== null && Math.abs(Date.parse(a) - Date.parse(b)) > 2000);
    // Numbers in the words (seconds on battery) are not a change, the page counts those itself; other words are
    // (a UPS never reached that now answers keeps level and rule, but the sentence is another one).
    const shape = (sentence: string): string => sentence.replace(/\d+/g, '#');
    const same =
      prev !== null &&
      shape(prev.sentence) === shape(d.sentence) &&
      prev.level === d.level &&
      prev.rule === d.rule &&
      prev.running === d.running &&
      prev.latched === d.latched &&
      !moved(prev.startsAt, d.startsAt);
    if (same) return;
    this.last = d;
    this.deps.live.emit('decision', d);
  }
}

/** GET /api/decision: the decision in one sentence (public when web.public_status lets the overview be). */
export function decisionRoutes(app: FastifyInstance, { deps }: { deps: WebDeps }): void {
  const p = deps.policyEdit;
  if (!p) return;
  const feed = new DecisionFeed(p, deps);
  feed.start();
  app.addHook('onClose', (_i, done) => {
    feed.stop();
    done();
  });
  app.get('/api/decision', { config: { access: p.publicStatus ? 'public' : 'viewer' } }, () => feed.current());
}
