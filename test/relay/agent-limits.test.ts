import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RelayAgent, type RelayAgentOptions } from '../../src/relay/agent.js';
import { AgentStore } from '../../src/relay/agent-store.js';
import { ExportedDevice } from '../../src/relay/exported-device.js';
import { parseScenario } from '../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../src/ups/sim/simulated-ups.js';
import { RelayTransport } from '../../src/ups/transport/relay-transport.js';
import { SimTransport } from '../../src/ups/transport/sim-transport.js';
import { systemClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';

// The agent in this process, so the test can count its sockets; attackers come from 127.0.0.2, the real client from 127.0.0.1.
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

const key = randomBytes(32);

async function startAgent(extra: Partial<RelayAgentOptions> = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const log = createLogger({ level: 'info', destination: sink });
  const sim = new SimulatedUps({
    device: findRecordedDevice('apc-back-ups-cs-500'),
    scenario: parseScenario('0 mains on\n0 load 20'),
    timeScale: 1,
    clock: systemClock,
  });
  const device = new ExportedDevice({
    name: 'ups',
    transport: new SimTransport(sim),
    log,
    now: () => Date.now(),
    featureCacheMs: 0,
    ringSize: 64,
  });
  const store = new AgentStore(':memory:');
  const agent = new RelayAgent({
    host: '127.0.0.1',
    port: 0,
    keys: new Map([['vm1', key]]),
    insecure: false,
    devices: [device],
    store,
    log,
    now: () => Date.now(),
    leaseMs: 60_000,
    idleTimeoutMs: 30_000,
    handshakeTimeoutMs: 10_000,
    ...extra,
  });
  sim.start();
  const { port } = await agent.start();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await agent.stop();
    sim.stop();
    store.close();
  };
  closers.push(stop);
  return { agent, port, lines, stop };
}

function silent(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('connect', () => s.off('error', reject));
    s.once('error', reject);
    closers.push(() => {
      s.destroy();
    });
  });
}

function client(port: number) {
  const t = new RelayTransport({
    address: { host: '127.0.0.1', port, selector: '' },
    identity: 'vm1',
    key,
    mode: 'observe',
    clientName: 'test vm1',
    heartbeatMs: 500,
    lostAfterMs: 5000,
    requestTimeoutMs: 3000,
    connectTimeoutMs: 3000,
    reconnectBaseMs: 100,
    reconnectMaxMs: 400,
  });
  closers.push(() => t.close());
  return t;
}

const closedCount = (socks: readonly net.Socket[]): number => socks.filter((s) => s.destroyed).length;

describe('relay agent: silent connections cannot lock the appliance out', () => {
  it('300 silent TCP connections: the real client still gets in and reads; the silent ones are closed at the handshake timeout', async () => {
    const { port, lines, stop } = await startAgent({
      handshakeTimeoutMs: 1500,
      maxPendingHandshakesPerAddress: 16,
      maxPendingHandshakes: 64,
    });
    const socks: net.Socket[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 300; i++) socks.push(await silent(port, '127.0.0.2'));
    // Over the per-address cap: refused before TLS, at once.
    await until('the connections over the cap are closed', () => closedCount(socks) >= 284 || null, 3000);
    const t = client(port);
    await t.open();
    expect((await t.reportDescriptor()).length).toBe(374);
    expect((await t.getFeatureReport(0x0c, 6))[1]).toBe(100);
    // The rest are closed once the handshake timeout passes, not kept.
    await until('every silent connection is closed', () => closedCount(socks) === 300 || null, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(t.isConnected()).toBe(true);
    // 300 refusals, but a bounded number of log lines about them.
    const refusals = lines.filter((l) => /relay (handshake|connection) refused/.test(String(l.msg)));
    expect(refusals.length).toBeLessThanOrEqual(10);
    expect(refusals.map((l) => l.msg)).toContain(
      'relay connection refused: connection limit reached (16 from 127.0.0.2)',
    );
    expect(refusals.map((l) => l.err)).toContain('TLS handshake timeout');
    // The slots are free again: a new connection from that address is held for its handshake, not refused at once.
    const again = await silent(port, '127.0.0.2');
    const t1 = Date.now();
    await until('the new silent connection is closed at its handshake timeout', () => again.destroyed || null, 5000);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1000);
    // What was held back is summed up, not lost: each of the 301 refusals (284 over the cap, 16 + 1 handshake
    // timeouts) is a line or counted in a summary; on a slow machine they span several windows, so several summaries.
    await stop();
    const msgs = lines.map((l) => String(l.msg));
    const logged = msgs.filter((m) => /^relay (handshake|connection) refused/.test(m)).length;
    const suppressed = msgs
      .map((m) => /^suppressed (\d+) similar warnings \(relay (handshake|connection) refused/.exec(m)?.[1])
      .filter((n): n is string => n !== undefined)
      .reduce((sum, n) => sum + Number(n), 0);
    expect(suppressed).toBeGreaterThan(250);
    expect(logged + suppressed).toBe(301);
  });

  it('a finished handshake frees its slot: clients beyond the pending cap get in one after another', async () => {
    const { port } = await startAgent({ maxPendingHandshakesPerAddress: 1, maxPendingHandshakes: 1 });
    const first = client(port);
    await first.open();
    const second = client(port);
    await second.open();
    expect(first.isConnected() && second.isConnected()).toBe(true);
    expect((await second.getFeatureReport(0x0c, 6))[1]).toBe(100);
  });

  it('stop closes every socket at once, clients and silent ones, and resolves in bounded time', async () => {
    const { port, stop } = await startAgent({ handshakeTimeoutMs: 60_000 });
    const socks: net.Socket[] = [];
    for (let i = 0; i < 5; i++) socks.push(await silent(port, '127.0.0.2'));
    const t = client(port);
    await t.open();
    expect(t.isConnected()).toBe(true);
    const t0 = Date.now();
    await stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    await until('the silent sockets see the close', () => closedCount(socks) === 5 || null, 2000);
  });
});
