import type { ShutdownService } from '../shutdown/service.js';
import type { ShutdownFacade } from '../web/facade.js';

/** The web's view of the shutdown service: what it may read and the one action it may start. */
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
  };
}
