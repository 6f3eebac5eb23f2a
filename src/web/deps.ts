import type { RestoreApiView } from './api-types/restore.js';
import type { HealthDeps, MetricsDeps } from '../integrations/metrics/metrics-deps.js';
import type { Logger } from '../log.js';
import type { NotifyFacade } from '../notify/notify-facade.js';
import type { Jobs } from '../schedule/jobs.js';
import type { EventsStore } from '../store/events.js';
import type { ReadingsStore } from '../store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
import type { StoreHealth } from '../store/failover-db.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { Listeners } from '../util/listeners.js';
import type { RunView, StepView } from './api-types/runs.js';
import type { WebAuth } from './auth/web-auth.js';
import type { WebAccounts } from './auth/users.js';
import type { ShutdownFacade } from './facade.js';
import type { DecisionResponse } from './api-types/decision.js';
import type { PolicyEditDeps } from './routes/policy-edit-deps.js';
import type { ReadApiDeps } from './views.js';

/** One watched UPS as the web layer sees it: the reading side of its handle. */
export type WatchedUps = Pick<UpsHandle, 'name' | 'description' | 'snapshot' | 'problem' | 'info' | 'diagnostics'>;

export type LiveEvents = {
  snapshot: [snapshot: UpsSnapshot];
  event: [event: UpsEvent];
  /** The decision in one sentence, when its level, rule or start time changes. */
  decision: [decision: DecisionResponse];
  /** A shutdown run started, changed phase, or ended. */
  run: [run: RunView];
  /** A step of a run began or ended. */
  step: [step: StepView];
  /** The restore after an outage began, moved on, waits for something, or ended. */
  restore: [restore: RestoreApiView];
};

export interface WebDeps {
  readonly ups: readonly WatchedUps[];
  /** Whether history reaches the disk; protection does not depend on it. */
  readonly store?: () => StoreHealth;
  readonly events: EventsStore;
  readonly readings: ReadingsStore;
  readonly live: Listeners<LiveEvents>;
  readonly log: Logger;
  readonly now: () => number;
  /** Plan, runs and the test-shutdown button, through the façade; absent in tests of other parts. */
  readonly shutdown?: ShutdownFacade;
  /** The named background jobs, for the plan page. */
  readonly jobs?: Pick<Jobs, 'list'> | null;
  /** What the console's read routes (status, devices, NUT, UPS commands) need beyond the above. */
  readonly readApis?: ReadApiDeps;
  /** Sessions, users, tokens, audit: who may call what. Without it only public routes answer (nobody logs in). */
  readonly auth?: WebAuth;
  /** Web users and API tokens, for /api/users and /api/tokens; absent in tests of other parts. */
  readonly accounts?: WebAccounts;
  /** Policy and plan editing, and the decision in one sentence; absent in tests of other parts. */
  readonly policyEdit?: PolicyEditDeps;
  /** GET /metrics: who may scrape, and the store's size; /readyz: the parts. Absent in tests of other parts. */
  readonly metrics?: MetricsDeps;
  readonly health?: HealthDeps;
  /** Notification channels and their queue, and the test message; absent in tests of other parts. */
  readonly notify?: NotifyFacade;
  /** Milliseconds between SSE keep-alive comments. */
  readonly streamKeepAliveMs?: number;
}

/** What every route plugin is registered with. */
export interface WebRouteOptions {
  readonly deps: WebDeps;
}
