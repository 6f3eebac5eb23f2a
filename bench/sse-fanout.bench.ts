// SSE fan-out: 200 clients hold GET /api/stream open on a listening server (loopback, a viewer's token each); one
// snapshot is emitted on the live bus and the time until every client has received it is measured, over 20 rounds.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { EventsStore } from '../src/store/events.js';
import { ReadingsStore } from '../src/store/readings.js';
import type { UpsSnapshot } from '../src/ups/events.js';
import { Listeners } from '../src/util/listeners.js';
import { createWebAuth } from '../src/web/auth/web-auth.js';
import type { LiveEvents } from '../src/web/deps.js';
import { buildServer } from '../src/web/server.js';
import { quantile } from './stats.js';

const CLIENTS = Number(process.env.BENCH_SSE_CLIENTS ?? 200);
const ROUNDS = Number(process.env.BENCH_SSE_ROUNDS ?? 20);
const ROUND_TIMEOUT_MS = 10_000;

const snapshotAt = (at: number): UpsSnapshot => ({
  ups: 'bench',
  at,
  variables: {
    'battery.charge': '100',
    'battery.runtime': '2580',
    'ups.load': '23',
    'input.voltage': '230.0',
    'output.voltage': '230.0',
    'device.model': 'Back-UPS 500',
    'ups.status': 'OL',
  },
  status: ['OL'],
  comms: 'ok',
  lastContactAt: at,
});

interface Client {
  text: string;
  waiting: { marker: string; done: () => void } | null;
  req: http.ClientRequest | null;
}

export async function run(): Promise<Record<string, number>> {
  const db = openDatabase(':memory:');
  const live = new Listeners<LiveEvents>();
  let current = snapshotAt(Date.now());
  const app = buildServer(
    {
      ups: [
        {
          name: 'bench',
          snapshot: () => current,
          problem: () => '',
          info: () => ({ kind: 'sim', location: 'sim:bench' }),
          diagnostics: () => ({ relay: null }),
        },
      ],
      events: new EventsStore(db),
      readings: new ReadingsStore(db),
      live,
      log: createLogger({ level: 'silent' }),
      now: () => Date.now(),
      jobs: null,
      auth: createWebAuth({
        db,
        now: () => Date.now(),
        users: { verify: () => Promise.resolve(null) },
        verifyToken: (t) => (t === 'bench' ? { name: 'bench', role: 'viewer', via: 'token', id: 'bench' } : null),
      }),
    },
    // Every client comes from 127.0.0.1: the per-address limits that protect a real appliance are raised for the bench.
    {
      maxStreams: CLIENTS + 8,
      maxStreamsPerAddress: CLIENTS + 8,
      maxConnections: CLIENTS + 16,
      maxConnectionsPerAddress: CLIENTS + 16,
    },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 8 });
  /** Per client: the text received since the round began, and who to tell once it holds the marker. */
  const clients: Client[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: CLIENTS },
        () =>
          new Promise<void>((resolve, reject) => {
            const c: Client = { text: '', waiting: null, req: null };
            const req = http.get(
              { host: '127.0.0.1', port, path: '/api/stream', agent, headers: { authorization: 'Bearer bench' } },
              (res) => {
                if (res.statusCode !== 200) {
                  reject(new Error(`stream answered ${res.statusCode}`));
                  return;
                }
                res.setEncoding('utf8');
                res.on('data', (chunk: string) => {
                  c.text += chunk;
                  if (c.text.includes('retry:')) resolve();
                  const w = c.waiting;
                  if (w && c.text.includes(w.marker)) {
                    c.waiting = null;
                    w.done();
                  }
                });
              },
            );
            req.on('error', reject);
            c.req = req;
            clients.push(c);
          }),
      ),
    );
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // A distinct reading time per round: the marker a client waits for is its ISO form in the snapshot view.
      const at = Date.UTC(2030, 0, 1) + round * 1000;
      const marker = `"lastUpdate":"${new Date(at).toISOString()}"`;
      const all = Promise.all(
        clients.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.text = '';
              c.waiting = { marker, done: resolve };
            }),
        ),
      );
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`round ${round}: not every client got the snapshot`)),
          ROUND_TIMEOUT_MS,
        );
      });
      current = snapshotAt(at);
      const started = performance.now();
      live.emit('snapshot', current);
      await Promise.race([all, timeout]);
      clearTimeout(timer);
      times.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 50));
    }
    return {
      clients: CLIENTS,
      rounds: ROUNDS,
      all_received_p50_ms: quantile(times, 0.5),
      all_received_p99_ms: quantile(times, 0.99),
    };
  } finally {
    for (const c of clients) c.req?.destroy();
    agent.destroy();
    await app.close();
    db.close();
  }
}
