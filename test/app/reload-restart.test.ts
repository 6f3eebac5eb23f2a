import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { App } from '../../src/app.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { freePort, run } from '../helpers/nut-peers.js';
import { selfSignedCert } from '../helpers/self-signed.js';
import { tempDir } from '../helpers/tmp.js';
import { testUsers } from '../helpers/web-login.js';

// A reload that changes `web:` or `nut_server:` restarts that part alone, on real sockets, with real followers (upsc).

function baseConfig(dir: string, web: Record<string, unknown>, nut: Record<string, unknown>): Record<string, unknown> {
  return {
    store: { path: join(dir, 'store.db') },
    web,
    nut_server: nut,
    users: testUsers(),
    ups: [{ name: 'u1', source: { kind: 'sim', scenario: 'steady', time_scale: 1 } }],
    policy: { on_battery_s: 30, flicker_s: 0 },
  };
}

const writeYaml = (file: string, obj: unknown): void => writeFileSync(file, stringify(obj));

const apps: App[] = [];
const blockers: Server[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
  for (const b of blockers.splice(0)) await new Promise((r) => b.close(r));
});

async function started(file: string): Promise<{ app: App; url: string; text: () => string }> {
  const out: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => out.push(s) } });
  const app = new App({ loaded: loadConfigFile(file, {}), log });
  apps.push(app);
  await app.start();
  const url = await app.listen();
  return { app, url, text: () => out.join('') };
}

/** The page's status code, or the connection error's code (ECONNREFUSED once nothing listens). */
async function page(url: string): Promise<number | string> {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    return res.status;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code ?? String(err);
  }
}

/** A port something else holds: what a new listen address fails on. */
async function takenPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  blockers.push(s);
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  return a.port;
}

function eventTypes(dir: string): { type: string; message: string }[] {
  const db = new Database(join(dir, 'store.db'), { readonly: true });
  try {
    return db.prepare("SELECT type, message FROM events WHERE type LIKE 'CONFIG_%' ORDER BY id").all() as {
      type: string;
      message: string;
    }[];
  } finally {
    db.close();
  }
}

async function upsStatus(port: number): Promise<string> {
  const r = await run('upsc', [`u1@127.0.0.1:${port}`, 'ups.status'], 5000);
  return r.stdout.trim() || r.stderr.trim();
}

describe('reload restarts the web console', () => {
  it('moves to a new port: the new one answers, the old one is closed, the UPS monitor and NUT server are kept', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir, { port: await freePort() }, { port: 0 });
    writeYaml(file, cfg);
    const { app, url, text } = await started(file);
    const monitor = app.monitors()[0];
    const nut = app.nutServer();
    const oldServer = app.server();
    const port = await freePort();
    writeYaml(file, { ...cfg, web: { port } });

    const r = await app.reload();

    expect(r).toEqual({ ok: true, applied: ['web: restarted with the new settings'], kept: [] });
    expect(await page(`http://127.0.0.1:${port}`)).toBe(200);
    expect(await page(url)).toBe('ECONNREFUSED');
    expect(app.server() === oldServer).toBe(false);
    expect(app.monitors()[0]).toBe(monitor);
    expect(app.nutServer()).toBe(nut);
    expect(text()).toContain(`web console restarted with the new settings at http://127.0.0.1:${port}`);
    // A second reload of the same file changes nothing: the restarted section is the one in force now.
    expect(await app.reload()).toEqual({ ok: true, applied: [], kept: [] });
  });

  it('refuses the reload when the new port is taken, and the page goes on at the old one', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir, { port: await freePort() }, { port: 0 });
    writeYaml(file, cfg);
    const { app, url } = await started(file);
    const oldServer = app.server();
    const taken = await takenPort();
    writeYaml(file, { ...cfg, web: { port: taken }, policy: { on_battery_s: 99, flicker_s: 0 } });

    const r = await app.reload();

    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatch(new RegExp(`^web: restart failed: web: cannot listen on 127\\.0\\.0\\.1:${taken}: `));
    expect(r.problems[0]).toMatch(/EADDRINUSE/);
    expect(await page(url)).toBe(200);
    expect(app.server() === oldServer).toBe(true);
    // Refused whole: the policy of the same file is not put in force either.
    expect(app.shutdown()?.config().policy.on_battery_s).toBe(30);
    expect(eventTypes(dir).map((e) => e.type)).toEqual(['CONFIG_RELOAD_FAILED']);
  });

  it('on the same address stops the old one first, and starts it again when the new one cannot start', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const port = await freePort();
    const cfg = baseConfig(dir, { port }, { port: 0 });
    writeYaml(file, cfg);
    const { app, url } = await started(file);
    const first = app.server();

    writeYaml(file, { ...cfg, web: { port, session_idle_s: 600 } });
    expect(await app.reload()).toEqual({ ok: true, applied: ['web: restarted with the new settings'], kept: [] });
    expect(await page(url)).toBe(200);
    const second = app.server();
    expect(second === first).toBe(false);

    // One pair's certificate with another's key: readable files, so a valid config, but no server can be built.
    const a = selfSignedCert(dir, 'a');
    const b = selfSignedCert(dir, 'b');
    writeYaml(file, { ...cfg, web: { port, session_idle_s: 600, tls_cert_file: a.cert, tls_key_file: b.key } });
    const r = await app.reload();

    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]).toMatch(/^web: restart failed: /);
    expect(r.problems[0]).toMatch(/key|certificate/i);
    // The old part was stopped to free the address, and serves there again (plain HTTP, as before).
    expect(await page(url)).toBe(200);
    expect(app.server() === second).toBe(false);
    expect(url.startsWith('http://')).toBe(true);
    expect(eventTypes(dir).map((e) => e.type)).toEqual(['CONFIG_RELOADED', 'CONFIG_RELOAD_FAILED']);
  });
});

describe('reload restarts the NUT server', () => {
  it('moves to a new port with its FSD latch, upsc reads it there; a taken port refuses the reload', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir, { port: 0 }, { port: await freePort() });
    writeYaml(file, cfg);
    const { app } = await started(file);
    const monitor = app.monitors()[0];
    const first = app.nutServer();
    const oldPort = first?.address()?.port ?? 0;
    expect(await upsStatus(oldPort)).toBe('OL');
    // A run in progress has told the followers to shut down: that must survive the restart.
    first?.setForcedShutdown('u1');
    const port = await freePort();
    writeYaml(file, { ...cfg, nut_server: { port, max_connections: 9 } });

    const r = await app.reload();

    expect(r).toEqual({ ok: true, applied: ['nut_server: restarted with the new settings'], kept: [] });
    expect(await upsStatus(port)).toBe('FSD OL');
    expect(await upsStatus(oldPort)).toMatch(/Connection refused|connect/i);
    expect(app.monitors()[0]).toBe(monitor);
    const second = app.nutServer();
    expect(second).not.toBe(first);

    const taken = await takenPort();
    writeYaml(file, { ...cfg, nut_server: { port: taken } });
    const refused = await app.reload();

    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problems[0]).toMatch(new RegExp(`^nut_server: restart failed: .*127\\.0\\.0\\.1:${taken}`));
    expect(app.nutServer()).toBe(second);
    expect(await upsStatus(port)).toBe('FSD OL');
  });

  it('puts a restarted web console back when the NUT server restart of the same reload fails', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir, { port: await freePort() }, { port: await freePort() });
    writeYaml(file, cfg);
    const { app, url } = await started(file);
    const nutPort = app.nutServer()?.address()?.port ?? 0;
    const webPort = await freePort();
    const taken = await takenPort();
    // `web` comes before `nut_server` in the restart order: it is restarted, then put back.
    writeYaml(file, { ...cfg, web: { port: webPort }, nut_server: { port: taken } });

    const r = await app.reload();

    expect(r.ok).toBe(false);
    expect(await page(url)).toBe(200);
    expect(await page(`http://127.0.0.1:${webPort}`)).toBe('ECONNREFUSED');
    expect(await upsStatus(nutPort)).toBe('OL');
    // The next reload sees the old sections in force and restarts the web part again.
    writeYaml(file, { ...cfg, web: { port: webPort } });
    expect(await app.reload()).toEqual({ ok: true, applied: ['web: restarted with the new settings'], kept: [] });
    expect(await page(`http://127.0.0.1:${webPort}`)).toBe(200);
  });
});
