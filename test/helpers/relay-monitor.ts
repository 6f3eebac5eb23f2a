import { createLogger } from '../../src/log.js';
import { HidUpsReader } from '../../src/ups/hid-ups-reader.js';
import { UpsMonitor } from '../../src/ups/monitor.js';
import { RelayTransport } from '../../src/ups/transport/relay-transport.js';
import type { Clock } from '../../src/util/clock.js';

/**
 * A monitor reading a UPS through the relay client, every timer on `clock` (a manual one in the tests that count the
 * lost window exactly): heartbeat 0.5 s, lost after 20 s, quick polls every 2 s.
 */
export function relayMonitor(o: { port: number; key: Buffer; clock: Clock; mode?: 'control' | 'observe' }): {
  relay: RelayTransport;
  monitor: UpsMonitor;
  events: string[];
} {
  const relay = new RelayTransport({
    address: { host: '127.0.0.1', port: o.port, selector: '' },
    identity: 'vm1',
    key: o.key,
    mode: o.mode ?? 'control',
    clientName: 'test vm1',
    heartbeatMs: 500,
    lostAfterMs: 20_000,
    requestTimeoutMs: 3000,
    connectTimeoutMs: 5000,
    reconnectBaseMs: 100,
    reconnectMaxMs: 1000,
    clock: o.clock,
  });
  const monitor = new UpsMonitor(
    'remote',
    new HidUpsReader({ transport: relay, clock: o.clock }),
    { recordSnapshot: () => undefined, recordEvent: (e) => ({ ...e, id: 1 }) },
    { quickIntervalMs: 2000, fullIntervalMs: 30_000, noCommMs: 300_000 },
    o.clock,
    createLogger({ level: 'silent' }),
  );
  const events: string[] = [];
  monitor.events.on('event', (e) => events.push(e.type));
  return { relay, monitor, events };
}
