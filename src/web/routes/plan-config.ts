import type { FastifyInstance } from 'fastify';
import type { PlanView } from '../../shutdown/plan-service.js';
import type { Target } from '../../shutdown/drivers/driver.js';
import type {
  PlanConfigResponse,
  PlanPreview,
  PlanPreviewResponse,
  PlanPreviewTarget,
} from '../api-types/plan-config.js';
import type { SectionSaveResponse } from '../api-types/policy.js';
import type { WebDeps } from '../deps.js';
import { phaseViews } from '../plan-phases.js';
import { fileView, saveError } from './policy.js';

/** The plan keys the page edits; the rest of the section is kept as written. */
export const EDITABLE_PLAN_KEYS = [
  'phases',
  'phases.name',
  'phases.targets',
  'phases.method',
  'phases.timeout_s',
  'phases.concurrency',
  'point_of_no_return',
  'load_off_ups',
  'off_delay_s',
  'on_delay_s',
] as const;

function previewOf(view: PlanView): PlanPreview | null {
  const { plan, estimate } = view;
  if (!plan) return null;
  const target = (t: Target): PlanPreviewTarget => {
    const e = estimate?.targets.get(t.name);
    return {
      name: t.name,
      kind: t.kind,
      driver: t.driver,
      host: t.host ?? null,
      medianS: e ? e.medianMs / 1000 : null,
      p90S: e ? e.p90Ms / 1000 : null,
    };
  };
  return {
    name: plan.name,
    phases: phaseViews(plan, estimate, target),
    finalHosts: plan.finalHosts.map(target),
    loadOff: plan.loadOff,
    pointOfNoReturn: plan.pointOfNoReturn,
    totalS: estimate?.totalS ?? null,
    notes: plan.notes,
  };
}

function bodyOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>).plan : undefined;
}

const body = {
  type: 'object',
  required: ['plan'],
  additionalProperties: false,
  properties: { plan: {} },
} as const;

/** Battery runtime left on the load-off UPS (else the first), seconds. */
function runtimeLeft(deps: WebDeps, ups: string | undefined): number | null {
  const w = deps.ups.find((u) => u.name === ups) ?? deps.ups[0];
  const v = w?.snapshot().variables['battery.runtime'];
  return v === undefined || !Number.isFinite(Number(v)) ? null : Number(v);
}

/** GET /api/plan/config: the `shutdown.plan` section as written, and what the pickers offer. */
export function planConfigRoutes(app: FastifyInstance, { deps }: { deps: WebDeps }): void {
  const p = deps.policyEdit;
  if (!p) return;
  app.get('/api/plan/config', { config: { access: 'viewer' } }, (): PlanConfigResponse => {
    const written = p.editor.written('shutdown.plan');
    return {
      ...fileView(p),
      plan: typeof written === 'object' && written !== null ? (written as Record<string, unknown>) : null,
      drivers: p.driverNames(),
      targets: p.knownTargets(),
      ups: p.config().ups.map((u) => u.name),
      editableKeys: EDITABLE_PLAN_KEYS,
    };
  });
}

/** POST /api/plan/preview and PUT /api/plan/config (admins). */
export function planConfigEditRoutes(app: FastifyInstance, { deps }: { deps: WebDeps }): void {
  const p = deps.policyEdit;
  if (!p) return;
  app.post(
    '/api/plan/preview',
    { config: { access: 'admin' }, schema: { body } },
    async (req): Promise<PlanPreviewResponse> => {
      const checked = p.editor.check('shutdown.plan', bodyOf(req.body));
      const empty = { planProblems: [], unreachable: [], plan: null, runtimeLeftS: null, differences: [] };
      if (!checked.ok) return { valid: false, problems: checked.problems, ...empty };
      const view = await p.previewPlan(checked.config.shutdown);
      const preview = previewOf(view);
      return {
        valid: view.problems.length === 0,
        problems: [],
        planProblems: view.problems.map((x) => ({ rule: x.rule, message: x.message, targets: x.targets })),
        unreachable: view.unreachable,
        plan: preview,
        runtimeLeftS: runtimeLeft(deps, preview?.loadOff?.ups),
        differences: checked.differences,
      };
    },
  );
  app.put('/api/plan/config', { config: { access: 'admin' }, schema: { body } }, async (req, reply) => {
    try {
      const r = await p.editor.save('shutdown.plan', bodyOf(req.body));
      req.auditDetail = r.auditDetail;
      const out: SectionSaveResponse = {
        saved: r.saved,
        applied: r.applied,
        file: r.file,
        ...(r.note ? { note: r.note } : {}),
        differences: r.differences,
      };
      return out;
    } catch (err) {
      req.auditDetail = `shutdown.plan: refused (${err instanceof Error ? err.message.slice(0, 200) : 'error'})`;
      return saveError(reply, err);
    }
  });
}
