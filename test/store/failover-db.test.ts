import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { EventsStore } from '../../src/store/events.js';
import { openDatabase } from '../../src/store/database.js';
import { FailoverDb, type StoreHealth } from '../../src/store/failover-db.js';
import { openStore } from '../../src/store/open-store.js';
import { ReadingsStore } from '../../src/store/readings.js';
import { ManualClock } from '../../src/util/clock.js';
import { describeWithPeers } from '../helpers/peers.js';
import { tempDir } from '../helpers/tmp.js';

const quiet = createLogger({ level: 'silent' });
const event = (i: number) => ({ at: i, type: 'ONBATT' as const, ups: 'u', message: `event ${i}` });
const snapshot = (i: number) => ({
  ups: 'u',
  at: 1_000 * i,
  variables: { 'battery.charge': String(100 - (i % 100)) },
  status: ['OB'],
  comms: 'ok' as const,
  lastContactAt: 1_000 * i,
});

describe('a store that fails over to memory', () => {
  it('keeps writing when the file stops taking writes (SQLITE_FULL), then writes everything back', () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const clock = new ManualClock(0);
    const health: StoreHealth[] = [];
    const file = openDatabase(path);
    const store = new FailoverDb(file, { path, clock, retryMs: 30_000, onHealth: (h) => health.push(h) });
    const events = new EventsStore(store.db);
    const readings = new ReadingsStore(store.db);
    events.add(event(0));
    // The file may not grow any more: exactly what SQLite sees on a full disk.
    file.pragma(`max_page_count = ${file.pragma('page_count', { simple: true }) as number}`);
    for (let i = 1; i <= 300; i++) {
      events.add(event(i));
      readings.record(snapshot(i));
    }
    expect(store.status().state).toBe('memory');
    expect(health.map((h) => h.state)).toEqual(['memory']);
    expect((health[0] as { reason: string }).reason).toMatch(/full/i);
    expect(events.list(0, 1000)).toHaveLength(301);
    clock.advance(30_000);
    expect(store.status().state).toBe('ok');
    expect(health.map((h) => h.state)).toEqual(['memory', 'ok']);
    events.add(event(301));
    store.close();
    const check = new Database(path, { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(302);
    expect((check.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number }).n).toBe(300);
    check.close();
  });

  it('retries a transaction that failed part-way on the memory copy, whole', () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    const file = openDatabase(path);
    const store = new FailoverDb(file, { path, clock: new ManualClock(0), retryMs: 1000 });
    const readings = new ReadingsStore(store.db);
    file.pragma(`max_page_count = ${file.pragma('page_count', { simple: true }) as number}`);
    for (let i = 1; i <= 200; i++) readings.record(snapshot(i));
    expect(store.status().state).toBe('memory');
    const raw = store.db.prepare('SELECT COUNT(*) AS n FROM readings').get() as { n: number };
    expect(raw.n).toBe(200);
    store.close();
  });

  it('moves a corrupt store aside at start and makes a new one', () => {
    const dir = tempDir();
    const path = join(dir, 'store.db');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    const store = openStore({ path, clock: new ManualClock(0), log: quiet, retryMs: 1000 });
    expect(store.status().state).toBe('ok');
    new EventsStore(store.db).add(event(1));
    store.close();
    const aside = execFileSync('ls', [dir], { encoding: 'utf8' });
    expect(aside).toMatch(/store\.db\.corrupt-/);
  });

  it('runs in memory when the store cannot be opened, and takes the file once it can', () => {
    const dir = tempDir();
    const parent = join(dir, 'not-yet');
    writeFileSync(parent, 'a file where the store directory should be');
    const path = join(parent, 'store.db');
    const clock = new ManualClock(0);
    const store = openStore({ path, clock, log: quiet, retryMs: 1000 });
    const health = store.status();
    expect(health.state).toBe('memory');
    expect(health.state === 'memory' ? health.reason : '').toMatch(/cannot open the store/);
    new EventsStore(store.db).add(event(1));
    clock.advance(1000);
    expect(store.status().state).toBe('memory');
    store.close();
  });
});

const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});

describeWithPeers({ 'root (to mount a small tmpfs)': isRoot })('a store on a filesystem that fills up', () => {
  it('fails over to memory on the real ENOSPC and writes back once space is freed', () => {
    const dir = tempDir();
    const mnt = join(dir, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    mounts.push(mnt);
    const path = join(mnt, 'store.db');
    const clock = new ManualClock(0);
    const store = openStore({ path, clock, log: quiet, retryMs: 10_000 });
    const events = new EventsStore(store.db);
    events.add(event(0));
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd stops with "No space left on device": that is the point
    }
    for (let i = 1; i <= 2000; i++) events.add({ ...event(i), message: `event ${i} ${'x'.repeat(200)}` });
    expect(store.status().state).toBe('memory');
    clock.advance(10_000);
    expect(store.status().state, 'still full: stays in memory').toBe('memory');
    execFileSync('rm', [join(mnt, 'filler')]);
    clock.advance(10_000);
    expect(store.status().state).toBe('ok');
    store.close();
    const check = new Database(path, { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(2001);
    check.close();
  });
});
