import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { smallClusterShutdown } from '../helpers/small-cluster.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep, until } from '../helpers/until.js';

// The appliance under systemd's default descriptor limit (1024), with one web client holding 1,100 requests whose
// headers arrived but whose bodies never come, and a notify command set: the outage that follows must still be
// decided, notified and shut down, all the way to the load-off.
const children: ChildProcess[] = [];
const sockets: net.Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const STALLED = 1100;

function config(dir: string): string {
  writeFileSync(join(dir, 'outage.seq'), '0 mains on\n0 load 20\n12 mains off\n');
  writeFileSync(join(dir, 'notified.sh'), `#!/bin/sh\necho "$NOTIFYTYPE" >> ${join(dir, 'notified.txt')}\n`, {
    mode: 0o755,
  });
  const file = join(dir, 'upsguard.json');
  writeFileSync(
    file,
    JSON.stringify({
      store: { path: join(dir, 'store.db') },
      web: { port: 0 },
      nut_server: { port: 0 },
      ups: [{ name: 'u1', source: { kind: 'sim', scenario: join(dir, 'outage.seq'), time_scale: 1 } }],
      policy: { on_battery_s: 1, flicker_s: 0 },
      schedule: { dry_run: '' },
      notify: { command: { path: join(dir, 'notified.sh') } },
      shutdown: smallClusterShutdown({
        plan: 'fd',
        vms: [
          { name: 'a', shutdown_s: 0.5 },
          { name: 'b', shutdown_s: 0.5 },
        ],
      }),
    }),
  );
  return file;
}

describe('a descriptor limit of 1024 and one client stalling 1,100 request bodies', () => {
  it('still notifies, decides and runs the plan to the load-off', async () => {
    const dir = tempDir();
    const cfg = config(dir);
    const log = join(dir, 'appliance.log');
    const child = spawn(
      'prlimit',
      ['--nofile=1024:1024', process.execPath, '--import', 'tsx', 'src/main.ts', 'serve', '--config', cfg],
      {
        stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
        env: { ...process.env, UPSGUARD_LOG_LEVEL: 'info' },
      },
    );
    children.push(child);
    const port = await until(
      'the page address',
      () => /Open http:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(log, 'utf8'))?.[1],
      30_000,
    );
    let refused = 0;
    for (let i = 0; i < STALLED; i++) {
      const s = net.connect(Number(port), '127.0.0.1');
      sockets.push(s);
      s.on('error', () => refused++);
      s.on('close', () => undefined);
      // The login is the one state-changing route that reads a body before anyone is known: the stalled bodies are
      // held (until the request timeout) rather than refused at once, as an action's would be without a session.
      s.write(
        'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"user":',
      );
      if (i % 100 === 99) await sleep(10);
    }
    const db = (): Database.Database => new Database(join(dir, 'store.db'), { readonly: true });
    const finished = await until(
      'the shutdown run to finish',
      () => {
        const d = db();
        try {
          return d.prepare("SELECT status FROM shutdown_runs WHERE mode = 'real' AND status != 'running'").get() as
            { status: string } | undefined;
        } finally {
          d.close();
        }
      },
      60_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${readFileSync(log, 'utf8').slice(-4000)}`);
    });
    expect(child.exitCode, 'the appliance is still running').toBeNull();
    expect(finished.status).toBe('completed');
    const d = db();
    const loadOff = d.prepare("SELECT result FROM shutdown_steps WHERE action = 'load_off'").all();
    d.close();
    expect(loadOff).toEqual([{ result: 'ok' }]);
    await until('the ONBATT notification', () => {
      try {
        return readFileSync(join(dir, 'notified.txt'), 'utf8').includes('ONBATT');
      } catch {
        return false;
      }
    });
    expect(readFileSync(log, 'utf8')).not.toMatch(/EMFILE.*(uncaught|fatal)|Uncaught/);
    expect(refused).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
