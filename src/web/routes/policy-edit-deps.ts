import type { ConfigEditor } from '../../config/edit/config-editor.js';
import type { Config } from '../../config/schema.js';
import type { ShutdownConfig } from '../../config/shutdown-schema.js';
import type { OutageStarts } from '../../shutdown/forecast.js';
import type { PlanView } from '../../shutdown/plan-service.js';
import type { Decision, PolicyState } from '../../shutdown/policy.js';

/**
 * What the policy, plan-config and decision routes need: the config in force, the editor that saves and applies it,
 * and the policy's own state (read, never changed). Built by the app (app/policy-edit-facade.ts).
 */
export interface PolicyEditDeps {
  readonly config: () => Readonly<Config>;
  readonly editor: Pick<ConfigEditor, 'file' | 'demo' | 'editable' | 'written' | 'check' | 'save'>;
  /** Called after an edit is in force (the decision re-evaluated, the plan refreshed); returns the unsubscribe. */
  readonly onApplied: (fn: () => void) => () => void;
  readonly policyState: () => PolicyState;
  readonly decision: () => Decision | null;
  readonly latched: () => boolean;
  /** The plan in force and its estimate (the one the runtime-aware rule uses); null without a plan. */
  readonly plan: () => { readonly name: string; readonly estimateS: number | null } | null;
  /** The real run going now and its phase; null when none. */
  readonly running: () => { readonly plan: string; readonly phase: string | null } | null;
  /** The first reading of each UPS's outage, for the charge's slope (folded on each call). */
  readonly outageStarts: (now: number) => OutageStarts;
  /** A candidate plan resolved against the last discovery, without touching the plan in force. */
  readonly previewPlan: (cfg: ShutdownConfig) => Promise<PlanView>;
  /** Targets from the last discovery and the drivers' last check, for the plan editor's pickers. */
  readonly knownTargets: () => readonly { name: string; kind: 'vm' | 'host'; driver: string; host: string | null }[];
  /** Driver names a selector may use. */
  readonly driverNames: () => readonly string[];
  /** GET /api/decision is public with web.public_status. */
  readonly publicStatus: boolean;
}
