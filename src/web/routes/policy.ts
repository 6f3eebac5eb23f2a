import type { FastifyInstance, FastifyReply } from 'fastify';
import { SectionInvalidError, checkPolicySection, normaliseCandidate } from '../../config/edit/section-check.js';
import type { EditableSection } from '../../config/edit/section-check.js';
import type { PolicyConfig } from '../../config/shutdown-schema.js';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { formatDuration } from '../../shutdown/forecast.js';
import { judgeUps, type Decision, type Trigger, type UpsTrack } from '../../shutdown/policy.js';
import type {
  ConfigFileView,
  ConfigProblemsResponse,
  PolicyHostView,
  PolicyPreviewResponse,
  PolicyResponse,
  PolicyRuleUpsView,
  PolicyRuleView,
  SectionSaveResponse,
} from '../api-types/policy.js';
import type { WebDeps } from '../deps.js';
import { decisionResponse, forecastNow } from './decision.js';
import type { PolicyEditDeps } from './policy-edit-deps.js';

export const EDITABLE_NOTE =
  'only policy and shutdown.plan apply without a restart; drivers, UPSes and everything else need one';

export function fileView(p: PolicyEditDeps): ConfigFileView {
  return {
    editable: p.editor.editable,
    file: p.editor.file,
    demo: p.editor.demo,
    editableSections: ['policy', 'shutdown.plan'],
    note: EDITABLE_NOTE,
  };
}

const onBatteryS = (t: UpsTrack, now: number): number | null =>
  t.onBattery && t.onBatterySince !== null ? Math.round((now - t.onBatterySince) / 1000) : null;

/** Every rule that can trip a shutdown, its setting, and each UPS's value next to it. */
export function ruleViews(p: PolicyEditDeps, policy: PolicyConfig, decision: Decision, now: number): PolicyRuleView[] {
  const tracks = Object.values(p.policyState());
  const estimateS = p.plan()?.estimateS ?? null;
  const verdicts = new Map(tracks.map((t) => [t.ups, judgeUps(t, policy, now, estimateS)]));
  const fired = (ups: string, trigger: Trigger): boolean => {
    const v = verdicts.get(ups);
    return v?.level === 'critical' && v.reasons.some((r) => r.trigger === trigger);
  };
  const rule = (
    id: PolicyRuleView['id'],
    label: string,
    enabled: boolean,
    settingText: string,
    settings: Record<string, number | null>,
    description: string,
    trigger: Trigger | null,
    value: (t: UpsTrack) => { value: number | null; valueText: string },
    extra: Partial<PolicyRuleView> = {},
  ): PolicyRuleView => {
    const perUps: PolicyRuleUpsView[] = tracks.map((t) => ({
      ups: t.ups,
      ...value(t),
      tripped: trigger !== null && fired(t.ups, trigger),
    }));
    return {
      id,
      label,
      enabled,
      settingText,
      settings,
      description,
      perUps,
      tripped: perUps.some((u) => u.tripped),
      ...extra,
    };
  };
  const secs = (v: number | null): string => (v === null ? 'unknown' : formatDuration(v));
  const onBattery = (t: UpsTrack): { value: number | null; valueText: string } => {
    const s = onBatteryS(t, now);
    return { value: s, valueText: s === null ? 'on mains' : `on battery ${formatDuration(s)}` };
  };
  const need =
    estimateS !== null && policy.runtime_factor > 0
      ? estimateS * policy.runtime_factor + policy.runtime_margin_s
      : null;
  const minSupplies = decision.reasons.some((r) => r.trigger === 'min_supplies');
  const out: PolicyRuleView[] = [
    rule(
      'fsd',
      'Forced shutdown (FSD) from the UPS or a NUT primary',
      true,
      'always on',
      {},
      'A UPS (or the NUT primary it is read from) sets FSD: shut down at once, as upsmon does.',
      'fsd',
      (t) => ({ value: null, valueText: t.status.includes('FSD') ? 'FSD set' : 'not set' }),
    ),
    rule(
      'ob_lb',
      'On battery and low battery (OB+LB)',
      true,
      policy.ob_lb_duration_s > 0 ? `after OB+LB holds ${formatDuration(policy.ob_lb_duration_s)}` : 'at once',
      { ob_lb_duration_s: policy.ob_lb_duration_s },
      'The UPS itself says the battery is low while on battery (not during a calibration).',
      'ob_lb',
      (t) => {
        const held = t.obLbSince === null ? null : Math.round((now - t.obLbSince) / 1000);
        return { value: held, valueText: held === null ? 'not low battery' : `OB+LB for ${formatDuration(held)}` };
      },
    ),
    rule(
      'dead_time',
      'Contact lost while on battery',
      true,
      `after ${formatDuration(policy.dead_time_s)} without contact`,
      { dead_time_s: policy.dead_time_s },
      'A UPS last seen on battery that stops answering is treated as low battery after the dead time.',
      'dead_on_battery',
      (t) => {
        const heard = t.comms === 'ok' || t.comms === 'stale';
        if (heard) return { value: 0, valueText: 'in contact' };
        if (t.lastContactAt === 0) return { value: null, valueText: 'never reached' };
        const s = Math.round((now - t.lastContactAt) / 1000);
        return { value: s, valueText: `no contact for ${formatDuration(s)}${t.onBattery ? ' (on battery)' : ''}` };
      },
    ),
    rule(
      'flicker',
      'Flicker window',
      policy.flicker_s > 0,
      policy.flicker_s > 0 ? `outages shorter than ${formatDuration(policy.flicker_s)} are ignored` : 'off',
      { flicker_s: policy.flicker_s },
      'The charge, runtime, time-on-battery and runtime-aware rules count only once an outage has lasted this long.',
      null,
      onBattery,
    ),
    rule(
      'charge',
      'Battery charge',
      policy.charge_pct !== undefined,
      policy.charge_pct !== undefined ? `at or below ${policy.charge_pct} %` : 'off',
      { charge_pct: policy.charge_pct ?? null },
      'While on battery, past the flicker window.',
      'charge',
      (t) => ({ value: t.charge, valueText: t.charge === null ? 'unknown' : `${t.charge} %` }),
    ),
    rule(
      'runtime',
      'Battery runtime',
      policy.runtime_s !== undefined,
      policy.runtime_s !== undefined ? `at or below ${formatDuration(policy.runtime_s)}` : 'off',
      { runtime_s: policy.runtime_s ?? null },
      'While on battery, past the flicker window.',
      'runtime',
      (t) => ({ value: t.runtime, valueText: secs(t.runtime) }),
    ),
    rule(
      'on_battery',
      'Time on battery',
      policy.on_battery_s !== undefined,
      policy.on_battery_s !== undefined ? `after ${formatDuration(policy.on_battery_s)} on battery` : 'off',
      { on_battery_s: policy.on_battery_s ?? null },
      'However full the battery, once an outage has lasted this long.',
      'on_battery_time',
      onBattery,
    ),
    rule(
      'runtime_vs_plan',
      'Runtime-aware rule',
      policy.runtime_factor > 0 && estimateS !== null,
      policy.runtime_factor <= 0
        ? 'off'
        : `runtime below the plan's estimate × ${policy.runtime_factor} + ${policy.runtime_margin_s} s${
            estimateS === null ? ' (no plan estimate yet)' : ` = ${formatDuration(need ?? 0)}`
          }`,
      { runtime_factor: policy.runtime_factor, runtime_margin_s: policy.runtime_margin_s },
      'Start while the battery still lasts for the whole plan, with a factor and a margin to spare.',
      'runtime_vs_plan',
      (t) => ({ value: t.runtime, valueText: secs(t.runtime) }),
      { planEstimateS: estimateS, needS: need === null ? null : Math.round(need) },
    ),
  ];
  const hostsRule = rule(
    'min_supplies',
    'Supplies per host',
    true,
    policy.hosts.length > 0
      ? policy.hosts.map((h) => `${h.name}: at least ${h.min_supplies}`).join('; ')
      : 'one host fed by every UPS, at least one supply',
    {},
    'A host goes down when the UPSes feeding it that are not critical give it fewer supplies than its minimum.',
    null,
    (t) => ({ value: null, valueText: verdicts.get(t.ups)?.level ?? 'unknown' }),
  );
  out.push({ ...hostsRule, tripped: minSupplies });
  return out;
}

export function hostViews(policy: PolicyConfig, decision: Decision): PolicyHostView[] {
  const critical = new Set(decision.ups.filter((v) => v.level === 'critical').map((v) => v.ups));
  const implicit = policy.hosts.length === 0;
  const hosts = implicit
    ? decision.hosts.map((h) => ({
        name: h.host,
        feeds: decision.ups.map((v) => ({ ups: v.ups, power: 1 })),
        min_supplies: h.min,
      }))
    : policy.hosts;
  return hosts.map((h) => {
    const fed = h.feeds.reduce((s, f) => s + (critical.has(f.ups) ? 0 : f.power), 0);
    return {
      name: h.name,
      feeds: h.feeds.map((f) => ({ ups: f.ups, power: f.power, critical: critical.has(f.ups) })),
      minSupplies: h.min_supplies,
      fed,
      starved: fed < h.min_supplies,
      implicit,
    };
  });
}

/** A save refused: 400 with every problem, 409 when the file changed on disk, 500 when it cannot be written. */
export function saveError(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof SectionInvalidError) {
    const body: ConfigProblemsResponse = { error: err.code, message: err.message, problems: err.problems };
    return reply.status(400).send(body);
  }
  if (err instanceof UpsguardError && (err.code === ErrorCode.ConfigChanged || err.code === ErrorCode.Forbidden)) {
    const body: ConfigProblemsResponse = {
      error: err.code,
      message: err.message,
      problems: [{ path: '(file)', message: err.message }],
    };
    return reply.status(409).send(body);
  }
  if (err instanceof UpsguardError && err.code === ErrorCode.ConfigUnreadable) {
    // The file could not be written (permissions, a full disk): nothing was applied.
    const body: ConfigProblemsResponse = {
      error: err.code,
      message: err.message,
      problems: [{ path: '(file)', message: err.message }],
    };
    return reply.status(500).send(body);
  }
  throw err;
}

const bodySchema = (key: string) =>
  ({
    type: 'object',
    required: [key],
    additionalProperties: false,
    properties: { [key]: {} },
  }) as const;

function bodyOf(body: unknown, key: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[key] : undefined;
}

function policyResponse(p: PolicyEditDeps, now: number): PolicyResponse {
  const policy = p.config().policy;
  const { forecast, decision } = forecastNow(p, now);
  const written = p.editor.written('policy');
  return {
    ...fileView(p),
    rules: ruleViews(p, policy, decision, now),
    hosts: hostViews(policy, decision),
    policy: typeof written === 'object' && written !== null ? (written as Record<string, unknown>) : {},
    effective: policy,
    decision: decisionResponse(forecast, now),
  };
}

/** GET /api/policy: every rule that can trip a shutdown, with the values now. */
export function policyRoutes(app: FastifyInstance, { deps }: { deps: WebDeps }): void {
  const p = deps.policyEdit;
  if (!p) return;
  app.get('/api/policy', { config: { access: 'viewer' } }, () => policyResponse(p, deps.now()));
}

/** POST /api/policy/preview and PUT /api/policy (admins): validate, forecast; save and apply. */
export function policyEditRoutes(app: FastifyInstance, { deps }: { deps: WebDeps }): void {
  const p = deps.policyEdit;
  if (!p) return;
  const section: EditableSection = 'policy';
  app.post(
    '/api/policy/preview',
    { config: { access: 'admin' }, schema: { body: bodySchema('policy') } },
    (req): PolicyPreviewResponse => {
      const candidate = normaliseCandidate(bodyOf(req.body, 'policy'));
      const checked = checkPolicySection(candidate);
      const whole = checked.ok ? p.editor.check(section, candidate) : null;
      if (!checked.ok || !whole?.ok) {
        const problems = !checked.ok ? checked.problems : whole && !whole.ok ? whole.problems : [];
        return { valid: false, problems, decision: null, wouldTrip: false, reasons: [], differences: [] };
      }
      const now = deps.now();
      const before = forecastNow(p, now).decision;
      const { forecast, decision } = forecastNow(p, now, whole.config.policy);
      return {
        valid: true,
        problems: [],
        decision: decisionResponse(forecast, now),
        wouldTrip: decision.level === 'critical' && before.level !== 'critical',
        reasons: decision.reasons.map((r) => r.message),
        differences: whole.differences,
      };
    },
  );
  app.put(
    '/api/policy',
    { config: { access: 'admin' }, schema: { body: bodySchema('policy') } },
    async (req, reply) => {
      try {
        const r = await p.editor.save(section, bodyOf(req.body, 'policy'));
        req.auditDetail = r.auditDetail;
        const body: SectionSaveResponse = {
          saved: r.saved,
          applied: r.applied,
          file: r.file,
          ...(r.note ? { note: r.note } : {}),
          differences: r.differences,
        };
        return body;
      } catch (err) {
        req.auditDetail = `policy: refused (${err instanceof Error ? err.message.slice(0, 200) : 'error'})`;
        return saveError(reply, err);
      }
    },
  );
}
