import type { SimClusterPersistence, SimTargetState } from '../shutdown/sim-cluster.js';
import type { Db } from './database.js';

export type RunMode = 'dry' | 'real';
export type RunStatus = 'running' | 'completed' | 'aborted' | 'failed';
export type StepAction = 'read' | 'graceful' | 'wait' | 'hard_off' | 'load_off' | 'power_on' | 'check' | 'fsd';
export type StepResult = 'ok' | 'failed' | 'timeout' | 'skipped' | 'dry' | 'interrupted' | 'took_effect';

export interface RunRow {
  readonly id: number;
  readonly plan: string;
  readonly mode: RunMode;
  readonly reason: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly estimateS: number | null;
  readonly runtimeLeftS: number | null;
  readonly subset: readonly string[] | null;
  readonly planJson: string;
  readonly passedPonr: boolean;
  readonly summary: string | null;
}

export interface StepRow {
  readonly id: number;
  readonly runId: number;
  readonly phase: string;
  readonly target: string;
  readonly driver: string;
  readonly action: StepAction;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly result: StepResult | null;
  readonly error: string | null;
  readonly detail: string | null;
}

interface RawRun {
  id: number;
  plan: string;
  mode: RunMode;
  reason: string;
  status: RunStatus;
  started_at: number;
  finished_at: number | null;
  estimate_s: number | null;
  runtime_left_s: number | null;
  subset: string | null;
  plan_json: string;
  passed_ponr: number;
  summary: string | null;
}

interface RawStep {
  id: number;
  run_id: number;
  phase: string;
  target: string;
  driver: string;
  action: StepAction;
  started_at: number;
  finished_at: number | null;
  result: StepResult | null;
  error: string | null;
  detail: string | null;
}

const runRow = (r: RawRun): RunRow => ({
  id: r.id,
  plan: r.plan,
  mode: r.mode,
  reason: r.reason,
  status: r.status,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  estimateS: r.estimate_s,
  runtimeLeftS: r.runtime_left_s,
  subset: r.subset === null ? null : (JSON.parse(r.subset) as string[]),
  planJson: r.plan_json,
  passedPonr: r.passed_ponr === 1,
  summary: r.summary,
});

const stepRow = (r: RawStep): StepRow => ({
  id: r.id,
  runId: r.run_id,
  phase: r.phase,
  target: r.target,
  driver: r.driver,
  action: r.action,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  result: r.result,
  error: r.error,
  detail: r.detail,
});

/**
 * The shutdown journal. Every step is written before it is acted on (`begin`) and after (`finish`); better-sqlite3 is
 * synchronous, so when `begin` returns the row is in the WAL and survives a SIGKILL.
 */
export class RunsStore {
  private readonly beginStmt;
  private readonly finishStmt;

  constructor(private readonly db: Db) {
    this.beginStmt = db.prepare(
      `INSERT INTO shutdown_steps (run_id, phase, target, driver, action, started_at, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.finishStmt = db.prepare(
      'UPDATE shutdown_steps SET finished_at = ?, result = ?, error = ?, detail = COALESCE(?, detail) WHERE id = ?',
    );
  }

  createRun(r: {
    plan: string;
    mode: RunMode;
    reason: string;
    startedAt: number;
    estimateS: number | null;
    runtimeLeftS: number | null;
    subset: readonly string[] | null;
    planJson: string;
  }): number {
    const info = this.db
      .prepare(
        `INSERT INTO shutdown_runs (plan, mode, reason, status, started_at, estimate_s, runtime_left_s, subset, plan_json)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
      )
      .run(
        r.plan,
        r.mode,
        r.reason,
        r.startedAt,
        r.estimateS,
        r.runtimeLeftS,
        r.subset === null ? null : JSON.stringify(r.subset),
        r.planJson,
      );
    return Number(info.lastInsertRowid);
  }

  finishRun(id: number, status: RunStatus, at: number, summary: string): void {
    this.db
      .prepare('UPDATE shutdown_runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?')
      .run(status, at, summary, id);
  }

  markPonr(id: number): void {
    this.db.prepare('UPDATE shutdown_runs SET passed_ponr = 1 WHERE id = ?').run(id);
  }

  beginStep(s: {
    runId: number;
    phase: string;
    target: string;
    driver: string;
    action: StepAction;
    at: number;
    detail?: string;
  }): number {
    const info = this.beginStmt.run(s.runId, s.phase, s.target, s.driver, s.action, s.at, s.detail ?? null);
    return Number(info.lastInsertRowid);
  }

  finishStep(id: number, at: number, result: StepResult, error: string | null = null, detail?: string): void {
    this.finishStmt.run(at, result, error, detail ?? null, id);
  }

  run(id: number): RunRow | undefined {
    const r = this.db.prepare('SELECT * FROM shutdown_runs WHERE id = ?').get(id) as RawRun | undefined;
    return r && runRow(r);
  }

  runs(limit: number): RunRow[] {
    return (this.db.prepare('SELECT * FROM shutdown_runs ORDER BY id DESC LIMIT ?').all(limit) as RawRun[]).map(runRow);
  }

  unfinished(mode: RunMode): RunRow[] {
    return (
      this.db
        .prepare("SELECT * FROM shutdown_runs WHERE status = 'running' AND mode = ? ORDER BY id")
        .all(mode) as RawRun[]
    ).map(runRow);
  }

  steps(runId: number): StepRow[] {
    return (this.db.prepare('SELECT * FROM shutdown_steps WHERE run_id = ? ORDER BY id').all(runId) as RawStep[]).map(
      stepRow,
    );
  }

  /** Learned durations: appended, and trimmed to the newest `keep` per target and source. */
  addDuration(target: string, source: 'run' | 'dry', ms: number, at: number, keep: number): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO target_durations (target, source, duration_ms, at) VALUES (?, ?, ?, ?)')
        .run(target, source, Math.round(ms), at);
      this.db
        .prepare(
          `DELETE FROM target_durations WHERE target = ? AND source = ? AND id NOT IN
             (SELECT id FROM target_durations WHERE target = ? AND source = ? ORDER BY id DESC LIMIT ?)`,
        )
        .run(target, source, target, source, keep);
    })();
  }

  durations(): Map<string, { run: number[]; dry: number[] }> {
    const rows = this.db.prepare('SELECT target, source, duration_ms FROM target_durations ORDER BY id').all() as {
      target: string;
      source: 'run' | 'dry';
      duration_ms: number;
    }[];
    const out = new Map<string, { run: number[]; dry: number[] }>();
    for (const r of rows) {
      let e = out.get(r.target);
      if (!e) {
        e = { run: [], dry: [] };
        out.set(r.target, e);
      }
      e[r.source].push(r.duration_ms);
    }
    return out;
  }
}

/** The simulated cluster's state in the store, so a restarted appliance finds its hosts as it left them. */
export function simClusterPersistence(db: Db): SimClusterPersistence {
  const save = db.prepare(
    'INSERT INTO sim_cluster_state (name, state) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET state = excluded.state',
  );
  return {
    load: () => {
      const rows = db.prepare('SELECT name, state FROM sim_cluster_state').all() as { name: string; state: string }[];
      // Rows written before a field existed read it as its zero.
      return new Map(
        rows.map((r) => {
          const st = JSON.parse(r.state) as Partial<SimTargetState> & Omit<SimTargetState, 'uncleanCuts'>;
          return [r.name, { ...st, uncleanCuts: st.uncleanCuts ?? 0 }];
        }),
      );
    },
    save: (name, state) => {
      save.run(name, JSON.stringify(state));
    },
  };
}
