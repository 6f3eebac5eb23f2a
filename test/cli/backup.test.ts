import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { gunzipSync, gzipSync } from 'node:zlib';
import { App } from '../../src/app.js';
import { runRestoreBackup } from '../../src/cli/restore-backup.js';
import { demoConfig } from '../../src/config/demo.js';
import { loadConfigFile } from '../../src/config/load.js';
import { UpsguardError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { decodeBackup, encodeBackup, type BackupContents } from '../../src/store/backup/archive.js';
import { restoreBackup } from '../../src/store/backup/restore.js';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const root = resolve(import.meta.dirname, '../..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

/** `upsguard ARGS` as its own process (another pid than this test's, as an operator's shell would be). */
function upsguard(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const c = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: root, env: process.env });
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    c.on('exit', (code) => done({ code, out }));
  });
}

const apps: App[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const a of apps.splice(0)) await a.stop();
});

/** The demo (its simulated UPS and cluster) on a file store, with the web and NUT server on free ports. */
async function runningDemo(dir: string): Promise<{ app: App; configFile: string; store: string }> {
  const store = join(dir, 'data', 'upsguard.db');
  const configFile = join(dir, 'upsguard.yaml');
  writeFileSync(
    configFile,
    `# the demo, on a file store\n${stringify({
      ...demoConfig,
      store: { path: 'data/upsguard.db' },
      web: { port: 0 },
      nut_server: { port: 0 },
      monitor: { quick_interval_s: 0.2 },
    })}`,
  );
  const app = new App({ loaded: loadConfigFile(configFile, {}), log: createLogger({ level: 'silent' }) });
  apps.push(app);
  await app.start();
  return { app, configFile, store };
}

interface EventRow {
  id: number;
  at: number;
  type: string;
  ups: string;
  message: string;
}

function events(path: string): EventRow[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT id, at, type, ups, message FROM events ORDER BY id').all() as EventRow[];
  } finally {
    db.close();
  }
}

describe('upsguard backup and restore', () => {
  it('backs up online while the demo writes; the restore into a new data dir is sound and loses no event', async () => {
    const dir = tempDir();
    const { configFile, store } = await runningDemo(dir);
    // Besides the demo's own readings and events: an event every 5 ms from a second writer, as a busy outage would.
    const writer = new Database(store);
    writer.pragma('busy_timeout = 5000');
    const insert = writer.prepare("INSERT INTO events (at, type, ups, message) VALUES (?, 'ONBATT', 'demo', ?)");
    let n = 0;
    timers.push(setInterval(() => insert.run(Date.now(), `write ${++n}`), 5));
    await until('readings in the store', () => {
      const db = new Database(store, { readonly: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS c FROM readings').get() as { c: number }).c > 2;
      } finally {
        db.close();
      }
    });
    const before = events(store);
    const backupFile = join(dir, 'backup.ugb');

    const made = await upsguard(['backup', backupFile, '--config', configFile]);

    expect(made.out).toMatch(/^backup written to /);
    expect(made.code).toBe(0);
    const writesDuring = n;
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    clearInterval(timers.pop());
    writer.close();

    const restoreDir = join(dir, 'restored');
    const lines: string[] = [];
    expect(runRestoreBackup([backupFile, '--data-dir', restoreDir], (s) => lines.push(s))).toBe(0);
    const restored = join(restoreDir, 'upsguard.db');
    expect(lines[0]).toContain(`restored the store to ${restored}`);
    expect(readFileSync(join(restoreDir, 'upsguard.yaml'), 'utf8')).toBe(readFileSync(configFile, 'utf8'));
    expect(lines.join('\n')).toMatch(/note: that config's store.path is .*data\/upsguard.db; point it at/);
    const db = new Database(restored, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    const after = events(restored);
    // Every event written before the backup started is there, unchanged; writes went on during it.
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.length).toBeGreaterThan(before.length);
    expect(writesDuring).toBeGreaterThan(before.filter((e) => e.message.startsWith('write ')).length);
    // The restored store opens as the service opens it (the migrations see their own version).
    openDatabase(restored).close();
  }, 60_000);

  it('refuses to restore over the store of a running service, naming the process, and replaces nothing', async () => {
    const dir = tempDir();
    const { configFile, store } = await runningDemo(dir);
    const backupFile = join(dir, 'backup.ugb');
    expect((await upsguard(['backup', backupFile, '--config', configFile])).code).toBe(0);
    const sizeBefore = statSync(store).size;

    const r = await upsguard(['restore', backupFile]);

    expect(r.code).toBe(1);
    expect(r.out).toContain(`the store at ${store} is in use by process ${process.pid}`);
    expect(statSync(store).size).toBe(sizeBefore);
  }, 60_000);

  it('refuses a backup from a newer upsguard or of a newer store schema, naming both versions', () => {
    const dir = tempDir();
    const data = freshStore(dir);
    const target = join(dir, 'target', 'upsguard.db');
    const base: BackupContents = {
      createdAt: new Date().toISOString(),
      upsguardVersion: '999.1.0',
      schemaVersion: 1,
      config: null,
      store: { path: '/var/lib/upsguard/upsguard.db', data },
    };
    const options = { storeTarget: target, configTarget: null, upsguardVersion: version, newestSchema: 9 };
    expect(() => restoreBackup(decodeBackup(encodeBackup(base), 'b'), options)).toThrow(
      `the backup was made by upsguard 999.1.0, newer than this upsguard ${version}`,
    );
    expect(() => restoreBackup({ ...base, upsguardVersion: version, schemaVersion: 10 }, options)).toThrow(
      `schema version 10, newer than this upsguard ${version} knows (9)`,
    );
    expect(existsSync(target)).toBe(false);
    expect(restoreBackup({ ...base, upsguardVersion: '0.0.1' }, options).store).toBe(target);
  });

  it('removes a stale WAL of the target before putting the restored store in place', () => {
    const dir = tempDir();
    const data = freshStore(dir);
    const target = join(dir, 'target.db');
    writeFileSync(`${target}-wal`, Buffer.alloc(4096, 7));
    restoreBackup(
      { createdAt: 'x', upsguardVersion: version, schemaVersion: 1, config: null, store: { path: target, data } },
      { storeTarget: target, configTarget: null, upsguardVersion: version, newestSchema: 99 },
    );
    expect(existsSync(`${target}-wal`)).toBe(false);
    const db = new Database(target, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('decodes any damaged or foreign file to a typed error naming what is wrong, never anything else', () => {
    const dir = tempDir();
    const good = encodeBackup({
      createdAt: 'now',
      upsguardVersion: '1.0.0',
      schemaVersion: 1,
      config: { path: '/etc/upsguard/upsguard.yaml', text: 'ups: []\n' },
      store: { path: '/x.db', data: freshStore(dir) },
    });
    expect(decodeBackup(good, 'good').config?.text).toBe('ups: []\n');
    expect(() => decodeBackup(Buffer.from('hello'), 'f')).toThrow('f: not a usable upsguard backup: it is not gzip');
    expect(() => decodeBackup(gzipSync('{"format":"other"}'), 'f')).toThrow('its format is not upsguard-backup');
    const envelope = JSON.parse(gunzipSync(good).toString('utf8')) as Record<string, unknown>;
    const store = envelope.store as Record<string, unknown>;
    expect(() => decodeBackup(gzipSync(JSON.stringify({ ...envelope, store: { ...store, bytes: 1 } })), 'f')).toThrow(
      /the store is \d+ bytes, the backup says 1/,
    );
    const typed = (f: () => unknown): boolean => {
      try {
        f();
        return true;
      } catch (err) {
        return err instanceof UpsguardError && /^BACKUP_/.test(err.code);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => typed(() => decodeBackup(bytes, 'f'))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = Buffer.from(good);
        bad[at] = (bad[at] ?? 0) ^ x;
        return typed(() => decodeBackup(bad, 'f'));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => typed(() => decodeBackup(gzipSync(JSON.stringify(v)), 'f'))),
      { numRuns: 300 },
    );
  });
});

/** The bytes of a store made by this upsguard's migrations. */
function freshStore(dir: string): Buffer {
  const file = join(dir, `fresh-${Math.random().toString(36).slice(2)}.db`);
  const db = openDatabase(file);
  db.prepare("INSERT INTO events (at, type, ups, message) VALUES (1, 'ONLINE', 'u', 'm')").run();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return readFileSync(file);
}
