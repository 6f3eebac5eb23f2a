import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/until.js';
import { closeAll, closers, get, raw, startWeb } from './harness.js';

afterEach(closeAll);

const closedWithin = async (s: net.Socket, ms: number): Promise<number> => {
  const t0 = Date.now();
  await until('the server closes the socket', () => s.destroyed || s.readableEnded || null, ms);
  return Date.now() - t0;
};

describe('web server: every phase of a request is bounded in time', () => {
  it('a request whose headers arrived but whose body stalls is answered 408 and dropped', async () => {
    const { port } = await startWeb({ requestTimeoutMs: 600 });
    const s = await raw(port);
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.write(
      'POST /test/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
    );
    const ms = await closedWithin(s, 4000);
    expect(ms).toBeLessThan(3000);
    expect(got).toMatch(/^HTTP\/1\.1 408/);
  });

  it('headers that trickle in are dropped at the headers timeout', async () => {
    const { port } = await startWeb({ requestTimeoutMs: 600, headersTimeoutMs: 600 });
    const s = await raw(port);
    s.write('GET /api/status HTTP/1.1\r\nHost: localhost\r\n');
    const timer = setInterval(() => s.write('X-A: b\r\n'), 100);
    closers.push(() => {
      clearInterval(timer);
    });
    expect(await closedWithin(s, 4000)).toBeLessThan(3000);
  });

  it('an idle keep-alive connection is closed at the keep-alive timeout', async () => {
    const { port } = await startWeb({ keepAliveTimeoutMs: 300 });
    const s = await raw(port);
    s.write('GET /api/status HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(await closedWithin(s, 3000)).toBeLessThan(2000);
  });
});

describe('web server: connection caps', () => {
  it('caps connections per address; other addresses are still served', async () => {
    const { port } = await startWeb({ maxConnectionsPerAddress: 4, maxConnections: 16 });
    const held = await Promise.all(Array.from({ length: 10 }, () => raw(port, '127.0.0.2')));
    await until(
      'the connections over the per-address cap are closed',
      () => held.filter((s) => s.destroyed || s.readableEnded).length === 6 || null,
      3000,
    );
    expect((await get(port, '/api/status')).status).toBe(200);
  });

  it('caps connections in all', async () => {
    const { port } = await startWeb({ maxConnectionsPerAddress: 64, maxConnections: 5 });
    const held = await Promise.all(Array.from({ length: 8 }, (_, i) => raw(port, `127.0.0.${String(2 + i)}`)));
    await until(
      'the connections over the total cap are closed',
      () => held.filter((s) => s.destroyed || s.readableEnded).length === 3 || null,
      3000,
    );
    for (const s of held) s.destroy();
    await until(
      'the slots are free again',
      async () => (await get(port, '/api/status').catch(() => ({ status: 0 }))).status === 200 || null,
      3000,
    );
  });
});
