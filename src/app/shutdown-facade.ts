import { restoreAfterTest } from '../shutdown/restore-after-test.js';
import type { ShutdownService } from '../shutdown/service.js';
import type { Listeners } from '../util/listeners.js';
import type { LiveEvents } from '../web/deps.js';
import type { ShutdownFacade } from '../web/facade.js';
import { runView, stepView } from '../web/routes/runs.js';

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
  };
}

/** Each run's progress onto the live bus, as the page's views: the run as it starts, changes phase and ends; each step. */
export function runProgressToLive(service: ShutdownService, live: Listeners<LiveEvents>): () => void {
  const runner = service.runner;
  const offs = [
    runner.events.on('runChanged', (row, phase) => {
      // A finished dry run carries its verdict, which its steps give.
      const steps = row.mode === 'dry' && row.status !== 'running' ? runner.journal.steps(row.id) : undefined;
      live.emit('run', runView(row, steps, phase));
    }),
    runner.events.on('stepChanged', (step) => {
      live.emit('step', stepView(step));
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
