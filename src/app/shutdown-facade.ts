import { restoreAfterTest } from '../shutdown/restore-after-test.js';
import type { ShutdownService } from '../shutdown/service.js';
import type { Listeners } from '../util/listeners.js';
import type { LiveEvents } from '../web/deps.js';
import type { ShutdownFacade } from '../web/facade.js';
import { RESTORE_PHASE_PREFIX } from '../shutdown/restore/restore-plan.js';
import { restoreApiView } from '../web/routes/restore.js';
import { runView, stepView } from '../web/routes/runs.js';

/** How often at most the page is sent the restore's view while it changes. */
const RESTORE_VIEW_MS = 250;

/** The web's view of the shutdown service: what it may read, and starting, aborting and restoring after a run. */
export function shutdownFacade(service: ShutdownService): ShutdownFacade {
  const cluster = service.cluster;
  const power = (name: string): string | null => {
    try {
      return cluster?.node(name) ? cluster.get(name).power : null;
    } catch {
      return null;
    }
  };
  return {
    plan: () => service.plan(),
    decision: () => service.decision(),
    driverReports: () => service.driverReports(),
    startRun: (mode, reason, subset = null) => service.startRun(mode, reason, subset),
    activeRuns: () => service.runner.activeRuns(),
    runs: (limit) => service.runner.journal.runs(limit),
    run: (id) => service.runner.journal.run(id),
    steps: (runId) => service.runner.journal.steps(runId),
    clusterStates: () =>
      cluster?.nodes.map((n) => ({ name: n.name, kind: n.kind, host: n.host ?? null, power: power(n.name) })) ?? [],
    abortRun: (id, by) => ({ done: service.runner.abort(id, by) }),
    restoreRun: (id) => restoreAfterTest(service.runner, id),
    outageLatched: () => service.runner.journal.latch() !== null,
    restore: () => restoreApiView(service.restoreSnapshot()),
  };
}

/** Each run's progress onto the live bus, as the page's views: the run as it starts, changes phase and ends; each step. */
export function runProgressToLive(service: ShutdownService, live: Listeners<LiveEvents>): () => void {
  const runner = service.runner;
  // The restore's whole view at most every RESTORE_VIEW_MS: a restore of a thousand VMs writes thousands of steps.
  let pending: NodeJS.Timeout | null = null;
  const restoreChanged = (): void => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      live.emit('restore', restoreApiView(service.restoreSnapshot()));
    }, RESTORE_VIEW_MS);
    pending.unref();
  };
  const offs = [
    runner.events.on('runChanged', (row, phase) => {
      // A finished dry run carries its verdict, which its steps give.
      const steps = row.mode === 'dry' && row.status !== 'running' ? runner.journal.steps(row.id) : undefined;
      live.emit('run', runView(row, steps, phase));
    }),
    runner.events.on('stepChanged', (step) => {
      live.emit('step', stepView(step));
      if (step.phase.startsWith(RESTORE_PHASE_PREFIX)) restoreChanged();
    }),
    service.restore.events.on('changed', restoreChanged),
  ];
  return () => {
    for (const off of offs) off();
    if (pending) clearTimeout(pending);
  };
}
