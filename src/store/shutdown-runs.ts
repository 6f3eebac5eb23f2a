import type {
  NewRun,
  NewStep,
  RestoreRow,
  RestoreStatus,
  RunMode,
  RunRow,
  RunStatus,
  ShutdownJournal,
  StepAction,
  StepResult,
  StepRow,
  TargetBefore,
  TargetOutcome,
  TargetOutcomeRow,
} from '../shutdown/journal.js';
import type { PlatformState, PowerState, TargetKind } from '../shutdown/drivers/driver.js';
import type { SimClusterPersistence, SimTargetState } from '../shutdown/sim-cluster.js';
import type { Db } from './database.js';

export type { RunMode, RunRow, RunStatus, StepAction, StepResult, StepRow } from '../shutdown/journal.js';

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
  outcome: TargetOutcome | null;
}

interface RawBefore {
  run_id: number;
  target: string;
  driver: string;
  kind: TargetKind;
  host: string | null;
  phase: string;
  power: PowerState;
  platform_json: string | null;
  at: number;
}

interface RawRestore {
  run_id: number;
  status: RestoreStatus;
  mains_back_at: number | null;
  started_at: number;
  finished_at: number | null;
  summary: string | null;
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
  outcome: r.outcome,
});

/**
 * The shutdown journal (the shutdown domain's port, shutdown/journal.ts), in SQLite. Every step is written before it is acted on (`begin`) and after (`finish`); better-sqlite3 is
 * synchronous, so when `begin` returns the row is in the WAL and survives a SIGKILL.
 */
export class RunsStore implements ShutdownJournal {
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

  createRun(r: NewRun): number {
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

  beginStep(s: NewStep): number {
    const info = this.beginStmt.run(s.runId, s.phase, s.target, s.driver, s.action, s.at, s.detail ?? null);
    return Number(info.lastInsertRowid);
  }

  finishStep(id: number, at: number, result: StepResult, error: string | null = null, detail?: string): void {
    this.finishStmt.run(at, result, error, detail ?? null, id);
  }

  recordOutcome(o: TargetOutcomeRow): number {
    const info = this.db
      .prepare(
        `INSERT INTO shutdown_steps (run_id, phase, target, driver, action, started_at, finished_at, result, error, detail, outcome)
         VALUES (?, ?, ?, ?, 'wait', ?, ?, ?, ?, ?, ?)`,
      )
      .run(o.runId, o.phase, o.target, o.driver, o.at, o.at, o.result, o.error, o.detail ?? null, o.outcome);
    return Number(info.lastInsertRowid);
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

  /** The tripped latch: when and why the outage's real run was started, or null when armed. */
  latch(): { trippedAt: number; reason: string } | null {
    const r = this.db.prepare('SELECT tripped_at, reason FROM shutdown_latch WHERE id = 1').get() as
      { tripped_at: number; reason: string } | undefined;
    return r ? { trippedAt: r.tripped_at, reason: r.reason } : null;
  }

  setLatch(at: number, reason: string): void {
    this.db
      .prepare('INSERT INTO shutdown_latch (id, tripped_at, reason) VALUES (1, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(at, reason);
  }

  clearLatch(): void {
    this.db.prepare('DELETE FROM shutdown_latch').run();
  }

  recordBefore(rows: readonly TargetBefore[]): void {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO run_targets_before (run_id, target, driver, kind, host, phase, power, platform_json, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const r of rows) {
        const platform = r.platform === null ? null : JSON.stringify(r.platform);
        insert.run(r.runId, r.target, r.driver, r.kind, r.host, r.phase, r.power, platform, r.at);
      }
    })();
  }

  before(runId: number): TargetBefore[] {
    const rows = this.db
      .prepare('SELECT * FROM run_targets_before WHERE run_id = ? ORDER BY rowid')
      .all(runId) as RawBefore[];
    return rows.map((r) => ({
      runId: r.run_id,
      target: r.target,
      driver: r.driver,
      kind: r.kind,
      host: r.host,
      phase: r.phase,
      power: r.power,
      platform: r.platform_json === null ? null : (JSON.parse(r.platform_json) as PlatformState),
      at: r.at,
    }));
  }

  restore(runId: number): RestoreRow | undefined {
    const r = this.db.prepare('SELECT * FROM restores WHERE run_id = ?').get(runId) as RawRestore | undefined;
    return r
      ? {
          runId: r.run_id,
          status: r.status,
          mainsBackAt: r.mains_back_at,
          startedAt: r.started_at,
          finishedAt: r.finished_at,
          summary: r.summary,
        }
      : undefined;
  }

  saveRestore(row: RestoreRow): void {
    this.db
      .prepare(
        `INSERT INTO restores (run_id, status, mains_back_at, started_at, finished_at, summary) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(run_id) DO UPDATE SET status = excluded.status, mains_back_at = excluded.mains_back_at,
           started_at = excluded.started_at, finished_at = excluded.finished_at, summary = excluded.summary`,
      )
      .run(row.runId, row.status, row.mainsBackAt, row.startedAt, row.finishedAt, row.summary);
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
