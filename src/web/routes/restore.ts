import type { FastifyInstance } from 'fastify';
import type { RestoreSnapshot } from '../../shutdown/restore/restore-summary.js';
import { restoreState, restoreSummary, targetRestores } from '../../shutdown/restore/restore-summary.js';
import type { BarCheck } from '../../shutdown/restore/return-conditions.js';
import type { BatteryBarView, RestoreApiView, RestoreTargetView, RestoreTierView } from '../api-types/restore.js';
import type { ShutdownRouteOptions } from '../facade.js';
import { stepView } from './runs.js';

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

function barView(b: BarCheck): BatteryBarView {
  return { chargePct: b.bar.charge_pct ?? null, runtimeS: b.bar.runtime_s ?? null, met: b.met, why: b.why };
}

/** The restore as the page and the API show it, from where it stands (pure). */
export function restoreApiView(s: RestoreSnapshot): RestoreApiView {
  const subject = s.subject;
  const row = subject?.restore;
  const targets = new Map(targetRestores(s).map((t) => [t.target.name, t]));
  const view = (name: string): RestoreTargetView | null => {
    const t = targets.get(name);
    if (!t) return null;
    return {
      name,
      driver: t.target.driver,
      kind: t.target.kind,
      host: t.target.host ?? null,
      state: t.state,
      before: subject?.plan.before.get(name)?.power ?? null,
      error: t.error,
      backAt: iso(t.backAt),
    };
  };
  const tiers: RestoreTierView[] = [];
  if (subject) {
    const { plan } = subject;
    const of = (names: readonly string[]): RestoreTargetView[] =>
      names.map(view).filter((v): v is RestoreTargetView => v !== null);
    if (plan.hosts.length > 0) tiers.push({ name: 'hosts', bar: 'first', targets: of(plan.hosts.map((h) => h.name)) });
    for (const t of plan.tiers) {
      tiers.push({ name: t.phase.replace(/^\(restore\) /, ''), bar: t.bar, targets: of(t.targets.map((x) => x.name)) });
    }
    if (plan.leftOff.length > 0) {
      tiers.push({ name: 'left off', bar: null, targets: of(plan.leftOff.map((l) => l.target.name)) });
    }
  }
  const c = s.conditions;
  const tookMs =
    row?.status === 'restored' && row.finishedAt !== null && row.mainsBackAt !== null
      ? row.finishedAt - row.mainsBackAt
      : null;
  return {
    state: restoreState(s),
    runId: subject?.run.id ?? null,
    mainsBackAt: iso(row?.mainsBackAt),
    startedAt: iso(row?.startedAt),
    finishedAt: iso(row?.finishedAt),
    durationS: tookMs === null ? null : Math.round(tookMs / 1000),
    summary: row?.summary ?? null,
    waitingFor: s.waiting,
    conditions:
      c && subject
        ? {
            ups: subject.ups,
            mainsOnline: c.mainsOnline,
            mainsSteadyForS: c.mainsSteadyForS === null ? null : Math.floor(c.mainsSteadyForS),
            mainsSteadyNeededS: c.mainsSteadyNeededS,
            chargePct: c.battery.chargePct,
            runtimeS: c.battery.runtimeS,
            firstTier: barView(c.firstTier),
            otherTiers: barView(c.otherTiers),
            ready: c.ready,
          }
        : null,
    tiers,
    steps: s.steps.map(stepView),
    asBefore: restoreSummary(s),
  };
}

/** GET /api/restore: the latest restore after an outage, the return conditions now, and each tier's targets. */
export function restoreRoutes(app: FastifyInstance, { shutdown }: ShutdownRouteOptions): void {
  const restore = shutdown.restore?.bind(shutdown);
  if (!restore) return;
  app.get('/api/restore', { config: { access: 'viewer' } }, (): RestoreApiView => restore());
}
