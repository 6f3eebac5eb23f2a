import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { App } from '../../src/app.js';
import { ConfigReloader } from '../../src/app/reload.js';
import type { NewUpsEvent } from '../../src/ups/events.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

const root = resolve(import.meta.dirname, '../..');

function baseConfig(dir: string, users = testUsers()): Record<string, unknown> {
  return {
    store: { path: join(dir, 'store.db') },
    web: { port: 0 },
    nut_server: { port: 0 },
    users,
    ups: [{ name: 'u1', source: { kind: 'sim', scenario: 'steady', time_scale: 1 } }],
    policy: { on_battery_s: 30, flicker_s: 0 },
  };
}

const writeYaml = (file: string, obj: unknown): void => writeFileSync(file, stringify(obj));

function lines(): { log: ReturnType<typeof createLogger>; text: () => string } {
  const out: string[] = [];
  return {
    log: createLogger({ level: 'info', destination: { write: (s: string) => out.push(s) } }),
    text: () => out.join(''),
  };
}

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

async function startFromFile(file: string): Promise<{ app: App; text: () => string }> {
  const { log, text } = lines();
  const app = new App({ loaded: loadConfigFile(file, {}), log });
  apps.push(app);
  await app.start();
  return { app, text };
}

describe('App.reload', () => {
  it('refuses an invalid file with every problem, records CONFIG_RELOAD_FAILED and keeps the old config', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir);
    writeYaml(file, cfg);
    const { app, text } = await startFromFile(file);
    const monitor = app.monitors()[0];
    writeYaml(file, { ...cfg, policy: { on_battery_s: -3, no_such_key: 1 } });

    const r = await app.reload();

    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.length).toBeGreaterThanOrEqual(2);
    expect(r.problems.join('\n')).toMatch(/policy\.on_battery_s/);
    expect(r.problems.join('\n')).toMatch(/no_such_key/);
    expect(app.shutdown()?.config().policy.on_battery_s).toBe(30);
    expect(app.monitors()[0]).toBe(monitor);
    const failed = reloadEvents(join(dir, 'store.db'));
    expect(failed.map((e) => e.type)).toEqual(['CONFIG_RELOAD_FAILED']);
    // One log line per problem, each naming its path.
    expect(text().match(/config reload: policy\./g)?.length).toBeGreaterThanOrEqual(1);
  });

  it('applies a changed policy live, restarts the web part, names the sections that need a restart, keeps the UPS monitor', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir);
    writeYaml(file, cfg);
    const { app, text } = await startFromFile(file);
    const monitor = app.monitors()[0];
    const nut = app.nutServer();
    writeYaml(file, {
      ...cfg,
      policy: { on_battery_s: 90, flicker_s: 0 },
      web: { port: 0, session_idle_s: 600 },
      ups: [{ name: 'u1', description: 'renamed', source: { kind: 'sim', scenario: 'steady', time_scale: 1 } }],
    });

    const r = await app.reload();

    expect(r).toEqual({
      ok: true,
      applied: ['web: restarted with the new settings', expect.stringMatching(/^policy: on_battery_s 30 -> 90/)],
      kept: ['ups'],
    });
    expect(app.shutdown()?.config().policy.on_battery_s).toBe(90);
    expect(app.monitors()[0]).toBe(monitor);
    expect(app.nutServer()).toBe(nut);
    expect(text()).toMatch(/ups: change needs a restart; kept the old one/);
    expect(text()).not.toMatch(/web: change needs a restart/);
    const events = reloadEvents(join(dir, 'store.db'));
    expect(events.map((e) => e.type)).toEqual(['CONFIG_RELOADED']);
    expect(events[0]?.message).toMatch(/2 section\(s\) applied; needs a restart to change: ups$/);
  });

  it('lets the page edit the policy again after a reload (the editor takes the reloaded file as its base)', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir);
    writeYaml(file, cfg);
    const { app } = await startFromFile(file);
    writeYaml(file, { ...cfg, policy: { on_battery_s: 45, flicker_s: 0 } });
    expect((await app.reload()).ok).toBe(true);

    const saved = await app.configEditor()?.save('policy', { on_battery_s: 50, flicker_s: 0 });

    expect(saved?.saved).toBe(true);
    expect(app.shutdown()?.config().policy.on_battery_s).toBe(50);
  });

  it('restarts just the parts with a restart hook; one that fails refuses the reload and puts back those restarted', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir);
    writeYaml(file, cfg);
    const loaded = loadConfigFile(file, {});
    const { log, text } = lines();
    const events: NewUpsEvent[] = [];
    const restartedWith: number[] = [];
    const reloader = new ConfigReloader({
      loaded,
      current: () => loaded.config,
      apply: () => Promise.resolve(),
      restart: {
        nut_server: (c) => {
          restartedWith.push(c.nut_server.max_connections);
          return Promise.resolve();
        },
        web: () => Promise.reject(new Error('port 1 refused')),
      },
      recordEvent: (e) => events.push(e),
      log,
      now: () => 1000,
      env: {},
    });
    writeYaml(file, { ...cfg, nut_server: { port: 0, max_connections: 7 }, web: { port: 0, session_idle_s: 600 } });

    const r = await reloader.reload();

    // web comes first in the order and fails: nothing was restarted, the reload is refused.
    expect(r).toEqual({ ok: false, problems: ['web: restart failed: port 1 refused'] });
    expect(restartedWith).toEqual([]);
    expect(text()).toMatch(/config reload: web: restart failed: port 1 refused/);
    expect(events).toEqual([expect.objectContaining({ type: 'CONFIG_RELOAD_FAILED', at: 1000 })]);

    // Now web restarts and nut_server fails: web is restarted again with the config in force before.
    const webWith: number[] = [];
    const second = new ConfigReloader({
      loaded,
      current: () => loaded.config,
      apply: () => Promise.resolve(),
      restart: {
        web: (c) => {
          webWith.push(c.web.session_idle_s);
          return Promise.resolve();
        },
        nut_server: () => Promise.reject(new Error('port 2 refused')),
      },
      recordEvent: (e) => events.push(e),
      log,
      now: () => 2000,
      env: {},
    });
    const r2 = await second.reload();
    expect(r2).toEqual({ ok: false, problems: ['nut_server: restart failed: port 2 refused'] });
    expect(webWith).toEqual([600, loaded.config.web.session_idle_s]);

    // Both restart: applied, nothing kept.
    const third = new ConfigReloader({
      loaded,
      current: () => loaded.config,
      apply: () => Promise.resolve(),
      restart: {
        web: () => Promise.resolve(),
        nut_server: (c) => {
          restartedWith.push(c.nut_server.max_connections);
          return Promise.resolve();
        },
      },
      recordEvent: (e) => events.push(e),
      log,
      now: () => 3000,
      env: {},
    });
    expect(await third.reload()).toEqual({
      ok: true,
      applied: ['web: restarted with the new settings', 'nut_server: restarted with the new settings'],
      kept: [],
    });
    expect(restartedWith).toEqual([7]);
  });

  it('refuses to reload the built-in demo (there is no file)', async () => {
    const { log } = lines();
    const dir = tempDir();
    const { loadConfig } = await import('../../src/config/load.js');
    const demo = loadConfig(undefined, {});
    const app = new App({
      loaded: { ...demo, config: { ...demo.config, store: { ...demo.config.store, path: join(dir, 'd.db') } } },
      log,
    });
    apps.push(app);
    await app.start();
    const r = await app.reload();
    expect(r.ok).toBe(false);
  });
});

function reloadEvents(path: string): { type: string; message: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare("SELECT type, message FROM events WHERE type LIKE 'CONFIG_%' ORDER BY id").all() as {
      type: string;
      message: string;
    }[];
  } finally {
    db.close();
  }
}

function commsEvents(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare("SELECT type FROM events WHERE type IN ('COMMOK','COMMBAD','NOCOMM') ORDER BY id").all();
    return (rows as { type: string }[]).map((r) => r.type);
  } finally {
    db.close();
  }
}

describe('serve reloads on SIGHUP (a real process)', () => {
  let child: ChildProcessWithoutNullStreams | null = null;
  afterEach(async () => {
    const c = child;
    child = null;
    if (c && c.exitCode === null && c.signalCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
  });

  it('a broken config keeps it serving on the old one; a valid change takes effect; the UPS link is never dropped', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const cfg = baseConfig(dir);
    writeYaml(file, cfg);
    // Node itself (tsx as a loader, not its wrapper process): the signal reaches the program, not a relay.
    const c = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'serve', '--config', file, '--log-format', 'text'],
      {
        cwd: root,
        env: { ...process.env, JOURNAL_STREAM: '' },
      },
    );
    child = c;
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString()));
    c.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const url = (
      await until(
        'serving',
        () => /Open (http:\/\/127\.0\.0\.1:\d+)/.exec(out) ?? (c.exitCode !== null && fail(out)),
        30_000,
      )
    )[1]!;
    const store = join(dir, 'store.db');
    const commsBefore = commsEvents(store);

    writeYaml(file, { ...cfg, policy: { on_battery_s: 'soon' } });
    c.kill('SIGHUP');
    await until('the refusal', () => out.includes('config reload refused'), 15_000);
    expect(out).toMatch(/ERROR config: config reload: policy\.on_battery_s: /);
    expect(c.exitCode).toBeNull();
    const cookie = await login(url);
    expect((await policyOf(url, cookie)).on_battery_s).toBe(30);

    writeYaml(file, {
      ...cfg,
      policy: { on_battery_s: 120, flicker_s: 0 },
      nut_server: { port: 0, max_connections: 9 },
    });
    c.kill('SIGHUP');
    await until('the reload', () => out.includes('config reloaded from'), 15_000);
    expect(out).toMatch(/INFO config: config reload applied policy: on_battery_s 30 -> 120/);
    expect(out).toMatch(/INFO config: config reload applied nut_server: restarted with the new settings/);
    expect(out).toMatch(/NUT server restarted with the new settings on 127\.0\.0\.1:\d+/);
    expect((await policyOf(url, cookie)).on_battery_s).toBe(120);

    expect(reloadEvents(store).map((e) => e.type)).toEqual(['CONFIG_RELOAD_FAILED', 'CONFIG_RELOADED']);
    expect(commsEvents(store)).toEqual(commsBefore);
    expect(commsEvents(store).filter((t) => t !== 'COMMOK')).toEqual([]);
    expect(c.exitCode).toBeNull();
  }, 60_000);
});

function fail(out: string): never {
  throw new Error(`serve exited:\n${out}`);
}

async function login(url: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ user: 'viewer', password: TEST_PASSWORDS.viewer }),
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((x) => x.startsWith('upsguard_session='));
  return cookie?.split(';')[0] ?? '';
}

async function policyOf(url: string, cookie: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/policy`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { effective: Record<string, unknown> }).effective;
}
