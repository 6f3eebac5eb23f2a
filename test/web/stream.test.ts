import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpsEvent } from '../../src/ups/events.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';
import { closeAll, closers, get, raw, startWeb } from './harness.js';

afterEach(closeAll);

/** A real SSE reader over HTTP on 127.0.0.1 that reads everything it is sent. */
async function reader(port: number, localAddress = '127.0.0.1') {
  const chunks: string[] = [];
  const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', localAddress, agent: false });
  req.on('error', () => undefined);
  closers.push(() => {
    req.destroy();
  });
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  res.setEncoding('utf8');
  res.on('data', (c: string) => chunks.push(c));
  let ended = false;
  res.on('close', () => (ended = true));
  return { res, text: () => chunks.join(''), ended: () => ended };
}

/** A reader that sends its request and then never reads a byte. */
async function stalledReader(port: number, localAddress = '127.0.0.1') {
  const s = await raw(port, localAddress);
  s.pause();
  s.write('GET /api/stream HTTP/1.1\r\nHost: localhost\r\n\r\n');
  return s;
}

let nextId = 1;
const bigEvent = (size: number): UpsEvent => ({
  id: nextId++,
  at: Date.now(),
  type: 'ONBATT',
  ups: 'sim1',
  message: 'x'.repeat(size),
});

describe('live stream (SSE): closing the server', () => {
  it('server.close() ends every open stream at once, a reader that stopped reading too', async () => {
    const { app, port } = await startWeb();
    const r = await reader(port);
    await until('the stream is open', () => r.text().startsWith('retry: 2000') || null, 3000);
    await stalledReader(port);
    await until('both streams are open', async () => (await count(app.server)) === 2 || null, 3000);
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await until('the reader sees its stream end', () => r.ended() || null, 2000);
  });

  it('app.stop() with a page open on /api/stream is not held up by it', async () => {
    // The stream is public here: this is about stopping with a reader open, not about login.
    const sim = await startSimApp({ extra: { web: { public_status: true } } });
    closers.push(async () => {
      await sim.stop();
    });
    const url = new URL(await sim.listen('127.0.0.1', 0));
    const r = await reader(Number(url.port));
    await until('the stream sends the first snapshot', () => r.text().includes('event: snapshot') || null, 3000);
    const t0 = Date.now();
    await sim.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('live stream (SSE): readers cannot hold the appliance memory', () => {
  it('caps the open streams per address (503 over it); other addresses still get one', async () => {
    const { port } = await startWeb({ maxStreamsPerAddress: 3, maxStreams: 10 });
    for (let i = 0; i < 3; i++) await reader(port, '127.0.0.2');
    const refused = await get(port, '/api/stream', '127.0.0.2');
    expect(refused.status).toBe(503);
    expect(refused.body).toMatch(/too many live streams/);
    const other = await reader(port, '127.0.0.3');
    expect(other.res.statusCode).toBe(200);
  });

  it('a reader dropped on its very first bytes leaves nothing subscribed, and the server goes on', async () => {
    const { live, port } = await startWeb({ streamMaxUnsentBytes: 8 });
    await get(port, '/api/stream').catch(() => undefined);
    expect(live.count('event')).toBe(0);
    expect(live.count('snapshot')).toBe(0);
    expect((await get(port, '/api/status')).status).toBe(200);
  });

  it('drops a reader whose unsent data passes the bound; a reading one keeps every event', async () => {
    const { live, port } = await startWeb({ streamMaxUnsentBytes: 64 * 1024 });
    const good = await reader(port);
    await stalledReader(port);
    await until('both readers are subscribed', () => live.count('event') === 2 || null, 3000);
    let sent = 0;
    // Bounded: at most 2000 events of 8 KiB (16 MiB), and the stalled one must go well before that.
    while (live.count('event') === 2 && sent < 2000) {
      live.emit('event', bigEvent(8 * 1024));
      sent++;
      await new Promise<void>((r) => setImmediate(r));
    }
    expect(live.count('event')).toBe(1);
    const marker = bigEvent(10);
    live.emit('event', marker);
    await until(
      'the reading client gets every event',
      () => good.text().includes(`"id":${String(marker.id)}`) || null,
      5000,
    );
    expect(good.ended()).toBe(false);
  });

  it('drops a reader whose socket stays full longer than the stall limit, even under the byte bound', async () => {
    const { live, port } = await startWeb({ streamMaxUnsentBytes: 64 * 1024 * 1024, streamStallMs: 300 });
    await stalledReader(port);
    await until('the reader is subscribed', () => live.count('event') === 1 || null, 3000);
    // Fill the kernel's buffers until the response reports back-pressure, then stop writing.
    for (let i = 0; i < 2000 && live.count('event') === 1; i++) {
      live.emit('event', bigEvent(8 * 1024));
      if (i % 20 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    await until('the stalled reader is dropped', () => live.count('event') === 0 || null, 3000);
  });
});

function count(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.getConnections((err, n) => {
      if (err) reject(err);
      else resolve(n);
    });
  });
}
