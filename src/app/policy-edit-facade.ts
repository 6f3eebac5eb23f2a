import type { ConfigEditor } from '../config/edit/config-editor.js';
import { foldOutageStarts, type OutageStarts } from '../shutdown/forecast.js';
import type { ShutdownService } from '../shutdown/service.js';
import type { PolicyEditDeps } from '../web/routes/policy-edit-deps.js';

/** The web's view of the policy and plan editor: the config in force, the editor, and the policy's state (read only). */
export function policyEditFacade(
  service: ShutdownService,
  editor: ConfigEditor,
  opts: { readonly publicStatus: boolean },
): PolicyEditDeps {
  let starts: OutageStarts = {};
  return {
    config: () => service.config(),
    editor,
    onApplied: (fn) => editor.onApplied(() => fn()),
    policyState: () => service.policyState(),
    decision: () => service.decision(),
    latched: () => service.latched(),
    plan: () => {
      const name = service.config().shutdown.plan?.name;
      return name === undefined ? null : { name, estimateS: service.plan().estimate?.totalS ?? null };
    },
    running: () => {
      const journal = service.runner.journal;
      const id = service.runner.activeRuns().find((r) => journal.run(r)?.mode === 'real');
      if (id === undefined) return null;
      const run = journal.run(id);
      const phase = journal.steps(id).at(-1)?.phase ?? null;
      return { plan: run?.plan ?? '?', phase };
    },
    outageStarts: (now) => (starts = foldOutageStarts(starts, service.policyState(), now)),
    previewPlan: (cfg) => service.previewPlan(cfg),
    knownTargets: () => {
      const seen = new Map<string, { name: string; kind: 'vm' | 'host'; driver: string; host: string | null }>();
      const view = service.plan().plan;
      for (const t of [...(view?.phases.flatMap((p) => p.targets) ?? []), ...(view?.finalHosts ?? [])]) {
        seen.set(t.name, { name: t.name, kind: t.kind, driver: t.driver, host: t.host ?? null });
      }
      for (const r of service.driverReports()) {
        for (const t of r.targets) {
          if (!seen.has(t.name)) seen.set(t.name, { name: t.name, kind: t.kind, driver: r.driver, host: t.host });
        }
      }
      return [...seen.values()];
    },
    // The names the plan's selectors may use, as checkPlanConfig accepts them.
    driverNames: () => {
      const cfg = service.config().shutdown;
      return [...(cfg.sim_cluster ? ['sim'] : []), 'nut-secondaries', ...cfg.drivers.map((d) => d.name)];
    },
    publicStatus: opts.publicStatus,
  };
}
