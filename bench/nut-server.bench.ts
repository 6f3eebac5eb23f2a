// upsguard's NUT server: GET VAR requests per second over 10 connections, each waiting for its reply before the
// next request (as upsc and upsmon do), against a UPS with a real device's variables.
import { connect, type Socket } from 'node:net';
import { createLogger } from '../src/log.js';
import type { UpsSnapshot } from '../src/ups/events.js';
import { NutServer } from '../src/ups/nut/nut-server.js';
import { systemClock } from '../src/util/clock.js';
import { quantile } from './stats.js';

const CONNECTIONS = 10;
const DURATION_MS = Number(process.env.BENCH_NUT_MS ?? 5000);

export async function run(): Promise<Record<string, number>> {
  const snapshot: UpsSnapshot = {
    ups: 'bench',
    at: Date.now(),
    variables: {
      'battery.charge': '100',
      'battery.runtime': '2580',
      'device.model': 'Back-UPS 500',
      'ups.status': 'OL',
    },
    status: ['OL'],
    comms: 'ok',
    lastContactAt: Date.now(),
  };
  const server = new NutServer({
    settings: {
      host: '127.0.0.1',
      port: 0,
      maxConnections: 64,
      maxLineLength: 1024,
      idleTimeoutMs: 60_000,
      commandTimeoutMs: 1000,
      handshakeTimeoutMs: 1000,
      loginFailures: 5,
      loginFailureWindowMs: 60_000,
      loginBlockMs: 60_000,
    },
    users: [],
    ups: [{ name: 'bench', snapshot: () => snapshot, supportedCommands: () => [], command: () => Promise.resolve() }],
    clock: systemClock,
    log: createLogger({ level: 'silent' }),
    version: 'bench',
  });
  await server.start();
  const port = server.address()!.port;
  const latencies: number[] = [];
  let total = 0;
  const end = performance.now() + DURATION_MS;
  const one = (sock: Socket): Promise<void> =>
    new Promise((resolve) => {
      let buf = '';
      let sentAt = 0;
      const send = (): void => {
        if (performance.now() >= end) {
          sock.end();
          resolve();
          return;
        }
        sentAt = performance.now();
        sock.write('GET VAR bench battery.charge\n');
      };
      sock.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          buf = buf.slice(i + 1);
          total++;
          if (total % 10 === 0) latencies.push(performance.now() - sentAt);
          send();
        }
      });
      send();
    });
  const socks = await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<Socket>((r) => {
          const s = connect(port, '127.0.0.1', () => r(s));
        }),
    ),
  );
  const started = performance.now();
  await Promise.all(socks.map(one));
  const elapsed = (performance.now() - started) / 1000;
  await server.stop();
  return {
    connections: CONNECTIONS,
    'GET VAR requests/s': Math.round(total / elapsed),
    'latency p50 (ms)': quantile(latencies, 0.5),
    'latency p99 (ms)': quantile(latencies, 0.99),
  };
}
