import http from 'node:http';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  startAgent,
  upsguardProcess,
  writeKeys,
  type RunningProcess,
} from '../helpers/relay-agent-process.js';
import { smallClusterShutdown } from '../helpers/small-cluster.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep, until } from '../helpers/until.js';
import { TEST_PASSWORDS, testUsers } from '../helpers/web-login.js';

const procs: RunningProcess[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of procs.splice(0)) await p.kill();
});

interface RunView {
  id: number;
  status: string;
}

function applianceConfig(dir: string, nutPort: number, relayPort: number): string {
  writeFileSync(join(dir, 'outage.seq'), '0 mains on\n0 load 20\n1 mains off\n');
  const file = join(dir, 'upsguard.json');
  writeFileSync(
    file,
    JSON.stringify({
      store: { path: join(dir, 'store.db') },
      web: { port: 0 },
      nut_server: { port: nutPort },
      users: [{ name: 'mon', password: 'monpass-1234', upsmon: 'secondary' }, ...testUsers()],
      ups: [
        { name: 'u1', source: { kind: 'sim', scenario: join(dir, 'outage.seq'), time_scale: 1 } },
        {
          name: 'remote',
          source: {
            kind: 'relay',
            url: `relay://127.0.0.1:${relayPort}/ups`,
            identity: 'appliance',
            psk_file: 'appliance.key',
            mode: 'observe',
          },
        },
      ],
      // The relay UPS is followed but feeds nothing: u1's outage alone decides.
      policy: { on_battery_s: 2, flicker_s: 0, hosts: [{ name: 'h1', feeds: [{ ups: 'u1' }] }] },
      schedule: { dry_run: '' },
      // A guest that takes its time: the run is still going when SIGTERM comes.
      shutdown: smallClusterShutdown({
        plan: 'stop-test',
        vms: [{ name: 'slow', shutdown_s: 20 }],
        vmTimeoutS: 40,
        hardOffS: 30,
      }),
    }),
  );
  return file;
}

describe('serve stops on SIGTERM with every kind of client attached', () => {
  it('exits 0 within the stop budget with an SSE stream, an idle socket that never sent a request, a NUT client, a relay link and a run in progress; the run resumes', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['appliance']);
    writeFileSync(join(dir, 'appliance.key'), keys.keys.appliance!.toString('hex'));
    const agent = await startAgent({ dir, keysFile: keys.file });
    procs.push(agent.proc);
    const nutPort = await freePort();
    const cfg = applianceConfig(dir, nutPort, agent.port);
    const app = upsguardProcess(['serve', '--config', cfg], { UPSGUARD_LOG_LEVEL: 'info' });
    procs.push(app);
    const url = (await app.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+)/, 30_000))[1]!;

    // A browser tab, logged in: the live stream, read and kept open.
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ user: 'viewer', password: TEST_PASSWORDS.viewer }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    let streamed = 0;
    const streamClosed = new Promise<void>((resolve) => {
      http.get(`${url}/api/stream`, { headers: { cookie } }, (res) => {
        res.on('data', (c: Buffer) => (streamed += c.length));
        res.on('close', () => resolve());
        res.on('error', () => resolve());
      });
    });
    // A connection that never sends a request, as a browser's preconnect leaves one.
    const idle = net.connect(new URL(url).port ? Number(new URL(url).port) : 80, '127.0.0.1');
    sockets.push(idle);
    idle.on('error', () => undefined);
    const idleClosed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    // A NUT follower, logged in.
    const nut = net.connect(nutPort, '127.0.0.1');
    sockets.push(nut);
    let nutSaid = '';
    nut.on('data', (c: Buffer) => (nutSaid += c.toString()));
    nut.on('error', () => undefined);
    nut.write('USERNAME mon\nPASSWORD monpass-1234\nLOGIN u1\n');
    await until('the NUT login', () => /OK\nOK\nOK\n/.test(nutSaid));
    await agent.proc.waitFor(/relay client connected/);

    const running = await until(
      'a shutdown run in progress',
      async () => {
        const body = (await (await fetch(`${url}/api/runs`, { headers: { cookie } })).json()) as { runs: RunView[] };
        return body.runs.find((r) => r.status === 'running');
      },
      30_000,
    );
    expect(streamed).toBeGreaterThan(0);

    const asked = Date.now();
    app.child.kill('SIGTERM');
    const code = await Promise.race([app.exit, sleep(15_000).then(() => 'still running after 15 s')]);
    const tookMs = Date.now() - asked;
    expect(code, app.out().slice(-3000)).toBe(0);
    expect(tookMs, 'stopped within the 5 s budget').toBeLessThan(6000);
    await streamClosed;
    await idleClosed;
    expect(app.out()).not.toMatch(/"level":50.*stop overran/);

    // The journal is consistent and the run is still open, so the next start resumes it.
    const db = new Database(join(dir, 'store.db'), { readonly: true });
    const row = db.prepare('SELECT status FROM shutdown_runs WHERE id = ?').get(running.id) as { status: string };
    db.close();
    expect(row.status).toBe('running');

    const again = upsguardProcess(['serve', '--config', cfg], { UPSGUARD_LOG_LEVEL: 'info' });
    procs.push(again);
    await again.waitFor(/shutdown run \d+ \(real\) of plan stop-test resumed after a restart/, 30_000);
  }, 120_000);
});
