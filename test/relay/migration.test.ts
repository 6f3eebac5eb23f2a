import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { FlakyProxy } from '../helpers/flaky-proxy.js';
import { type RunningProcess, startAgent, upsguardProcess, writeKeys } from '../helpers/relay-agent-process.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep, until } from '../helpers/until.js';

// `npm test` runs a short seeded version; `npm run bench -- relay-migration-soak` runs the 50-drop soak.
const DROPS = Number(process.env.UPSGUARD_TEST_RELAY_DROPS ?? 8);
const random = seededRandom();
const rand = (min: number, max: number): number => random.between(min, max);
const procs: RunningProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop();
});

/** Mains off at 12 s, then a flip every second for ten minutes: faster than the polls and than most outages, so
 * only the resumed input stream can deliver every flip, exactly once. */
function flipScenario(): string {
  const lines = ['0 mains on', '0 load 30'];
  let on = true;
  for (let t = 12; t <= 600; t += 1) {
    on = !on;
    lines.push(`${t} mains ${on ? 'on' : 'off'}`);
  }
  return lines.join('\n');
}

interface ApplianceEvent {
  id: number;
  type: string;
}

describe('relay through live migrations (agent, appliance and a flaky network as separate processes)', () => {
  it(`delivers every ONBATT and ONLINE, in order and once, over ${DROPS} connection drops (seed ${random.seed}), and keeps the claim`, async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['appliance']);
    writeFileSync(join(dir, 'appliance.key'), keys.keys.appliance!.toString('hex'));
    const agent = await startAgent({ dir, keysFile: keys.file, scenario: flipScenario() });
    procs.push(agent.proc);
    const proxy = new FlakyProxy(agent.port);
    const proxyPort = await proxy.start();
    writeFileSync(
      join(dir, 'appliance.yaml'),
      [
        'web: { port: 0 }',
        // The test reads status and events as a viewer logged in to the console.
        'users: [{ name: reader, role: viewer, password: reader-password }]',
        `store: { path: ${join(dir, 'appliance.db')} }`,
        'ups:',
        '  - name: remote',
        '    source:',
        '      kind: relay',
        `      url: relay://127.0.0.1:${proxyPort}/ups`,
        '      identity: appliance',
        '      psk_file: appliance.key',
        '      reconnect_base_ms: 200',
        '      reconnect_max_ms: 1000',
      ].join('\n'),
    );
    const appliance = upsguardProcess(['serve', '--config', join(dir, 'appliance.yaml')]);
    procs.push(appliance);
    const url = (await appliance.waitFor(/Open (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await agent.proc.waitFor(/relay client connected/);
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ user: 'reader', password: 'reader-password' }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie, 'logged in').toMatch(/^upsguard_session=./);
    const get = (path: string): Promise<Response> => fetch(`${url}${path}`, { headers: { cookie } });

    while (proxy.drops < DROPS) {
      await until('the appliance to reconnect after the drop', () => proxy.liveConnections() > 0, 15_000, 20);
      expect(proxy.liveConnections(), 'the appliance reconnects after every drop').toBeGreaterThan(0);
      await sleep(rand(100, 500)); // pacing: the link is up for a random while before the next outage
      await proxy.outage(rand(500, 5000));
    }
    // Once the link is back, compare what the agent's UPS did with what the appliance recorded.
    await until(
      'the relay link to be connected again',
      async () => {
        const s = (await (await get('/api/status')).json()) as { ups: { relay?: { link: string } }[] };
        return s.ups[0]?.relay?.link === 'connected';
      },
      30_000,
    );
    const flips = agent.proc
      .logs()
      .filter(
        (l) =>
          l.msg === 'scenario step' && (l.action as { kind: string }).kind === 'mains' && (l.modelTimeS as number) > 0,
      )
      .map((l) => ((l.action as { on: boolean }).on ? 'ONLINE' : 'ONBATT'));
    expect(flips.length).toBeGreaterThan(5);
    const events = await until(
      'the appliance to record every flip the agent logged',
      async () => {
        const body = (await (await get('/api/events?since=0&limit=1000')).json()) as {
          events: ApplianceEvent[];
        };
        const flipEvents = body.events.filter((e) => e.type === 'ONBATT' || e.type === 'ONLINE');
        return flipEvents.length >= flips.length ? flipEvents : undefined;
      },
      10_000,
      200,
    );
    const types = events.map((e) => e.type);
    // The scenario keeps flipping while we read: the appliance may be one flip ahead of the agent's log we took.
    expect(types.slice(0, flips.length)).toEqual(flips);
    expect(types.length).toBeLessThanOrEqual(flips.length + 1);
    for (let i = 1; i < types.length; i++)
      expect(types[i], `event ${i} repeats ${types[i - 1]}`).not.toBe(types[i - 1]);

    const all = (await (await get('/api/events?since=0&limit=1000')).json()) as { events: ApplianceEvent[] };
    expect(all.events.filter((e) => e.type === 'COMMBAD')).toEqual([]);
    const status = (await (await get('/api/status')).json()) as {
      ups: { relay: { link: string; controller: boolean; device: string } }[];
    };
    expect(status.ups[0]!.relay).toMatchObject({ link: 'connected', device: 'attached', controller: true });

    // The claim was taken once and never changed hands.
    const db = new Database(join(dir, 'relay.db'), { readonly: true });
    const claims = db
      .prepare('SELECT identity, claimed_at AS claimedAt, lease_until AS leaseUntil FROM claims')
      .all() as {
      identity: string;
      claimedAt: number;
      leaseUntil: number;
    }[];
    db.close();
    expect(claims).toHaveLength(1);
    expect(claims[0]!.identity).toBe('appliance');
    expect(claims[0]!.leaseUntil).toBeGreaterThan(Date.now());
    const firstClaim = agent.proc.logs().find((l) => l.msg === 'controller claim held');
    expect(claims[0]!.claimedAt).toBeLessThanOrEqual(firstClaim!.time as number);
    expect(appliance.out() + agent.proc.out()).not.toMatch(/CLAIM_BUSY|controlled by/);
    expect(proxy.drops).toBeGreaterThanOrEqual(DROPS);
    await proxy.stop();
  }, 480_000);
});
