// Relay figures on loopback, with the agent as its own process (as on a real host):
// - feature-report round trip through the relay against the same read in-process: added latency p50/p99;
// - reads per second on one connection (sequential, and with 16 requests in flight);
// - input report at the agent to the ONBATT event in the appliance: p99;
// - time from the network coming back to the stream resuming: p99.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { HidUpsReader } from '../src/ups/hid-ups-reader.js';
import { UpsMonitor } from '../src/ups/monitor.js';
import { parseScenario } from '../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../src/ups/sim/simulated-ups.js';
import { RelayTransport } from '../src/ups/transport/relay-transport.js';
import { SimTransport } from '../src/ups/transport/sim-transport.js';
import { systemClock } from '../src/util/clock.js';
import { FlakyProxy } from '../test/helpers/flaky-proxy.js';
import { freePort, upsguardProcess } from '../test/helpers/relay-agent-process.js';
import { quantile } from './stats.js';

const hiRes = (): number => performance.timeOrigin + performance.now();

function transport(port: number, key: Buffer): RelayTransport {
  return new RelayTransport({
    address: { host: '127.0.0.1', port, selector: '' },
    identity: 'bench',
    key,
    mode: 'observe',
    clientName: 'bench',
    heartbeatMs: 5000,
    lostAfterMs: 20_000,
    requestTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    reconnectBaseMs: 500,
    reconnectMaxMs: 10_000,
  });
}

async function timeReads(read: () => Promise<unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await read();
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-relay-bench-'));
  const key = randomBytes(32);
  writeFileSync(join(dir, 'keys'), `bench ${key.toString('hex')}\n`);
  chmodSync(join(dir, 'keys'), 0o600);
  // No feature cache at the agent: every read goes to the device, as the in-process read does.
  writeFileSync(join(dir, 'relay.yaml'), 'relay:\n  feature_cache_ms: 0\n');
  // Off and on every half second (the simulator steps every 250 ms).
  writeFileSync(join(dir, 'flip.seq'), '0 mains on\n0.25 mains off\n0.5 loop\n');
  const port = await freePort();
  const agent = upsguardProcess(
    [
      'relay',
      '--config',
      join(dir, 'relay.yaml'),
      '--listen',
      `127.0.0.1:${port}`,
      '--psk-file',
      join(dir, 'keys'),
      '--db',
      join(dir, 'r.db'),
      '--simulate',
      'apc-back-ups-cs-500',
      '--scenario',
      join(dir, 'flip.seq'),
    ],
    { UPSGUARD_LOG_LEVEL: 'warn' },
  );
  await agent.waitFor(/listening on/);
  const results: Record<string, number> = {};
  try {
    // 1. Round trips.
    const local = new SimulatedUps({
      device: findRecordedDevice('apc-back-ups-cs-500'),
      scenario: parseScenario('0 mains on'),
      timeScale: 1,
      clock: systemClock,
    });
    const sim = new SimTransport(local);
    await sim.open();
    const t = transport(port, key);
    await t.open();
    const N = 5000;
    await timeReads(() => t.getFeatureReport(0x0c, 6), 500);
    const viaRelay = await timeReads(() => t.getFeatureReport(0x0c, 6), N);
    const inProcess = await timeReads(() => sim.getFeatureReport(0x0c, 6), N);
    results['in-process read p50 (ms)'] = quantile(inProcess, 0.5);
    results['relay read p50 (ms)'] = quantile(viaRelay, 0.5);
    results['relay read p99 (ms)'] = quantile(viaRelay, 0.99);
    results['added latency p50 (ms)'] = quantile(viaRelay, 0.5) - quantile(inProcess, 0.5);
    results['added latency p99 (ms)'] = quantile(viaRelay, 0.99) - quantile(inProcess, 0.99);
    let started = performance.now();
    for (let i = 0; i < N; i++) await t.getFeatureReport(0x0c, 6);
    results['reads/s, one connection, sequential'] = Math.round(N / ((performance.now() - started) / 1000));
    started = performance.now();
    const inFlight = 16;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        for (let i = 0; i < N / inFlight; i++) await t.getFeatureReport(0x0c, 6);
      }),
    );
    results['reads/s, one connection, 16 in flight'] = Math.round(N / ((performance.now() - started) / 1000));
    await t.close();

    // 2. Input at the agent to ONBATT in the appliance's monitor (the agent flips mains every 50 ms).
    const rt = transport(port, key);
    let lastAt = 0;
    rt.events.on('input', (_r, at) => {
      if (at !== undefined) lastAt = at;
    });
    const monitor = new UpsMonitor(
      'bench',
      new HidUpsReader({ transport: rt }),
      { recordSnapshot: () => undefined, recordEvent: (e) => ({ ...e, id: 0 }) },
      { quickIntervalMs: 2000, fullIntervalMs: 30_000, deadTimeMs: 15_000, noCommMs: 300_000 },
      systemClock,
      createLogger({ level: 'silent' }),
    );
    const toEvent: number[] = [];
    monitor.events.on('event', (e) => {
      if (e.type === 'ONBATT' && lastAt > 0) toEvent.push(hiRes() - lastAt);
    });
    await monitor.start();
    await new Promise((r) => setTimeout(r, 20_000));
    await monitor.stop();
    results['input->ONBATT samples'] = toEvent.length;
    results['input at agent->ONBATT p50 (ms)'] = quantile(toEvent, 0.5);
    results['input at agent->ONBATT p99 (ms)'] = quantile(toEvent, 0.99);

    // 3. Network back -> stream resumed.
    const proxy = new FlakyProxy(port);
    const proxyPort = await proxy.start();
    const mt = transport(proxyPort, key);
    await mt.open();
    const resume: number[] = [];
    for (let i = 0; i < 30; i++) {
      const outageMs = 500 + Math.random() * 2500;
      // outage() returns once the proxy listens again: the network is back from here.
      await proxy.outage(outageMs);
      const t0 = performance.now();
      while (mt.status().link !== 'connected') await new Promise((r) => setTimeout(r, 1));
      resume.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    await mt.close();
    await proxy.stop();
    results['network back->stream resumed p50 (ms)'] = quantile(resume, 0.5);
    results['network back->stream resumed p99 (ms)'] = quantile(resume, 0.99);
    await sim.close();
  } finally {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
