import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import type { RunRow } from '../../src/shutdown/journal.js';
import type { Db } from '../../src/store/database.js';
import type { ShutdownFacade } from '../../src/web/facade.js';

// Parts the web test rigs share: a fake shutdown side and the closing of each test's server and database.

/** The one run the fake shutdown side knows: a finished dry run of plan `lab`, id 1. */
export const FAKE_RUN = {
  id: 1,
  plan: 'lab',
  mode: 'dry',
  reason: 'test',
  status: 'completed',
  startedAt: 1,
  finishedAt: 2,
  estimateS: null,
  runtimeLeftS: null,
  subset: null,
  passedPonr: false,
  summary: '',
} as unknown as RunRow;

/**
 * A façade that records which runs it was asked to start (`mode: reason`) and answers the rest with fixed values: the
 * web layer needs nothing else from the shutdown side; the run routes have their own tests of the real one.
 */
export function fakeShutdown(): ShutdownFacade & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    plan: () => ({ plan: null, estimate: null, problems: [], unreachable: [] }),
    decision: () => null,
    driverReports: () => [],
    startRun: (mode, reason) => {
      started.push(`${mode}: ${reason}`);
      return Promise.resolve({ runId: 1, done: Promise.resolve(FAKE_RUN) });
    },
    activeRuns: () => [],
    runs: () => [FAKE_RUN],
    run: (id) => (id === 1 ? FAKE_RUN : undefined),
    steps: () => [],
    clusterStates: () => [{ name: 'h1', kind: 'host', host: null, power: 'on' }],
    abortRun: () => ({ done: Promise.resolve(FAKE_RUN) }),
    restoreRun: () => Promise.resolve({ restored: [], failed: [] }),
    outageLatched: () => false,
  };
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Closes the server, then its database, after the current test (the latest built first). */
export function closeAfterTest(app: FastifyInstance, db: Db): void {
  closers.push(async () => {
    await app.close();
    db.close();
  });
}
