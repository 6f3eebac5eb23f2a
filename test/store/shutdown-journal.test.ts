import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations/index.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import Database from 'better-sqlite3';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

describe('shutdown journal in the store', () => {
  it("a target's outcome is its own column; rows from before the column get theirs from the detail", () => {
    const db = new Database(':memory:');
    migrate(
      db,
      migrations.filter((m) => m.version <= 3),
    );
    db.prepare(
      `INSERT INTO shutdown_runs (id, plan, mode, reason, status, started_at, plan_json) VALUES (1, 'p', 'real', 'r', 'running', ?, '{}')`,
    ).run(T0);
    const insert = db.prepare(
      `INSERT INTO shutdown_steps (run_id, phase, target, driver, action, started_at, finished_at, result, detail)
       VALUES (1, 'shed', ?, 'sim', ?, ?, ?, 'ok', ?)`,
    );
    insert.run('web1', 'wait', T0, T0, 'final:hard_off');
    insert.run('web2', 'graceful', T0, T0, null);
    insert.run('web3', 'wait', T0, T0, 'final:nonsense');
    migrate(db, migrations);
    const journal = new RunsStore(db);
    journal.recordOutcome({
      runId: 1,
      phase: 'shed',
      target: 'web4',
      driver: 'sim',
      at: T0 + 1,
      result: 'ok',
      outcome: 'off',
      error: null,
    });
    expect(journal.steps(1).map((s) => [s.target, s.outcome])).toEqual([
      ['web1', 'hard_off'],
      ['web2', null],
      ['web3', null],
      ['web4', 'off'],
    ]);
    expect(journal.steps(1).at(-1)).toMatchObject({ action: 'wait', finishedAt: T0 + 1, result: 'ok' });
    db.close();
  });

  it('keeps the outage latch until it is cleared', () => {
    const db = new Database(':memory:');
    migrate(db, migrations);
    const journal = new RunsStore(db);
    expect(journal.latch()).toBeNull();
    journal.setLatch(T0, 'critical: u1 OB LB');
    journal.setLatch(T0 + 5, 'again');
    expect(journal.latch()).toEqual({ trippedAt: T0, reason: 'critical: u1 OB LB' });
    journal.clearLatch();
    expect(journal.latch()).toBeNull();
    db.close();
  });
});
