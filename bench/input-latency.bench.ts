// In-process latency from an input report arriving at the sim transport to the ONBATT event leaving the monitor,
// with the real store (a WAL file) in the path, because the event is written before it is emitted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { EventsStore } from '../src/store/events.js';
import { ReadingsStore } from '../src/store/readings.js';
import { HidUpsReader } from '../src/ups/hid-ups-reader.js';
import { UpsMonitor } from '../src/ups/monitor.js';
import { parseScenario } from '../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../src/ups/transport/sim-transport.js';
import { ManualClock } from '../src/util/clock.js';
import { quantile } from './stats.js';

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-'));
  const db = openDatabase(join(dir, 'bench.db'));
  const readings = new ReadingsStore(db);
  const events = new EventsStore(db);
  const clock = new ManualClock(Date.now());
  const ups = new SimulatedUps({
    device: findRecordedDevice('apc-back-ups-cs-500'),
    scenario: parseScenario('0 mains on\n0 load 20'),
    timeScale: 1,
    clock,
  });
  const transport = new SimTransport(ups);
  const monitor = new UpsMonitor(
    'bench',
    new HidUpsReader({ transport }),
    { recordSnapshot: (s) => readings.record(s), recordEvent: (e) => events.add(e) },
    { quickIntervalMs: 2000, fullIntervalMs: 30_000, deadTimeMs: 15_000, noCommMs: 300_000 },
    clock,
    createLogger({ level: 'silent' }),
  );
  await monitor.start();
  let inputAt = 0;
  let firstInput = true;
  transport.events.on('input', () => {
    // The first of the reports one change produces is the moment the UPS tells us.
    if (firstInput) {
      inputAt = performance.now();
      firstInput = false;
    }
  });
  const samples: number[] = [];
  monitor.events.on('event', (e) => {
    if (e.type === 'ONBATT') samples.push(performance.now() - inputAt);
  });
  // The first rounds measure the JIT, not the path: run them, then start counting.
  const warmup = 200;
  const rounds = 2000 + warmup;
  for (let i = 0; i < rounds; i++) {
    firstInput = true;
    ups.setMains(false);
    ups.setMains(true);
    if (i % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  samples.splice(0, warmup);
  await monitor.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    'onbatt events': samples.length,
    'input->ONBATT p50 (ms)': quantile(samples, 0.5),
    'input->ONBATT p99 (ms)': quantile(samples, 0.99),
    'input->ONBATT max (ms)': Math.max(...samples),
  };
}
