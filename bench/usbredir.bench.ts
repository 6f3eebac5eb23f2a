// usbredir against the HID-report relay, in the same run, both over TLS 1.3 PSK on loopback and in one process (the
// agent's parts as `upsguard relay` builds them): a feature report read as a control transfer (GET_REPORT) against
// the relay's GET_FEATURE round trip, and an input report from the simulated UPS's mains change to its arrival, as
// an interrupt packet at a usb-redir consumer against the relay's input event. p50/p99 in ms.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createLogger } from '../src/log.js';
import { RelayAgent } from '../src/relay/agent.js';
import { AgentStore } from '../src/relay/agent-store.js';
import { ExportedDevice } from '../src/relay/exported-device.js';
import { PSK_CIPHERS } from '../src/relay/psk.js';
import { UsbRedirDecoder, encodeMessage } from '../src/relay/usbredir/codec.js';
import { HidUsbDevice } from '../src/relay/usbredir/hid-usb-device.js';
import { PRE_HELLO_WIRE, capsMask, type UsbRedirMessage, type WireOptions } from '../src/relay/usbredir/protocol.js';
import { UsbRedirListener } from '../src/relay/usbredir/usbredir-listener.js';
import { parseScenario } from '../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../src/ups/sim/simulated-ups.js';
import { RelayTransport } from '../src/ups/transport/relay-transport.js';
import { SimTransport } from '../src/ups/transport/sim-transport.js';
import { ManualClock } from '../src/util/clock.js';
import { quantile } from './stats.js';

const READS = 500;
const FLIPS = 100;
const GUEST_CAPS = capsMask(['connectDeviceVersion', 'ids64', 'epInfoMaxPacketSize', 'bulkLength32']);

/** The usb-guest side, as QEMU's usb-redir plays it: just enough to read reports through the agent. */
class GuestClient {
  private decoder = new UsbRedirDecoder({ peer: 'host', ourCaps: GUEST_CAPS });
  private wire: WireOptions = PRE_HELLO_WIRE;
  private nextId = 1n;
  private readonly waiting = new Map<bigint, (m: UsbRedirMessage) => void>();
  onInterrupt: (data: Uint8Array) => void = () => undefined;
  private connected!: () => void;
  readonly deviceConnected = new Promise<void>((r) => (this.connected = r));

  constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      for (const m of this.decoder.push(chunk)) this.onMessage(m);
    });
    this.send({ type: 'hello', id: 0n, version: 'bench guest', caps: [GUEST_CAPS] });
  }

  private send(m: UsbRedirMessage): void {
    this.socket.write(encodeMessage(m, this.wire));
  }

  private onMessage(m: UsbRedirMessage): void {
    if (m.type === 'hello') this.wire = this.decoder.wireOptions;
    else if (m.type === 'deviceConnect') this.connected();
    else if (m.type === 'interruptPacket') this.onInterrupt(m.data);
    else if (m.type === 'controlPacket' || m.type === 'configurationStatus') {
      this.waiting.get(m.id)?.(m);
      this.waiting.delete(m.id);
    }
  }

  private request(m: UsbRedirMessage): Promise<UsbRedirMessage> {
    return new Promise((resolve) => {
      this.waiting.set(m.id, resolve);
      this.send(m);
    });
  }

  configure(): Promise<UsbRedirMessage> {
    return this.request({ type: 'setConfiguration', id: this.nextId++, configuration: 1 });
  }

  startInterrupts(): void {
    this.send({ type: 'startInterruptReceiving', id: this.nextId++, endpoint: 0x81 });
  }

  /** HID GET_REPORT(Feature, id) on the control pipe. */
  getFeature(reportId: number, length: number): Promise<UsbRedirMessage> {
    return this.request({
      ...{ type: 'controlPacket', id: this.nextId++, endpoint: 0x80, status: 0, length, data: new Uint8Array(0) },
      ...{ requestType: 0xa1, request: 0x01, value: 0x0300 | reportId, index: 0 },
    });
  }
}

async function timed(n: number, one: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await one();
    out.push(performance.now() - t);
  }
  return out;
}

/** Flips mains FLIPS times; each time, how long until `arrived` is called. */
async function flipLatencies(sim: SimulatedUps, wait: (arm: () => void) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < FLIPS; i++) {
    let t = 0;
    await wait(() => {
      t = performance.now();
      sim.setMains(i % 2 === 1);
    });
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-usbredir-bench-'));
  const log = createLogger({ level: 'silent' });
  const key = randomBytes(32);
  const keys = new Map([['bench', key]]);
  const store = new AgentStore(join(dir, 'relay.db'));
  const sim = new SimulatedUps({
    device: findRecordedDevice('apc-back-ups-cs-500'),
    scenario: parseScenario('0 mains on'),
    timeScale: 1,
    clock: new ManualClock(),
  });
  const exported = new ExportedDevice({
    ...{ name: 'ups', transport: new SimTransport(sim), log, now: () => Date.now() },
    ...{ featureCacheMs: 0, ringSize: 256 },
  });
  const agent = new RelayAgent({
    ...{ host: '127.0.0.1', port: 0, keys, insecure: false, devices: [exported], store, log },
    ...{ now: () => Date.now(), leaseMs: 60_000, idleTimeoutMs: 60_000, handshakeTimeoutMs: 5000 },
  });
  const usb = new HidUsbDevice({ device: exported, log });
  const listener = new UsbRedirListener({
    ...{ host: '127.0.0.1', port: 0, keys, insecure: false, device: usb, store, log },
    ...{ now: () => Date.now(), leaseMs: 60_000, handshakeTimeoutMs: 5000 },
  });
  sim.start();
  const relayAddr = await agent.start();
  await usb.start();
  const redirAddr = await listener.start();
  // The relay reads as an observer, so the usbredir consumer may hold the device's claim.
  const relay = new RelayTransport({
    address: { host: '127.0.0.1', port: relayAddr.port, selector: '' },
    ...{ identity: 'bench', key, mode: 'observe', clientName: 'bench', heartbeatMs: 5000, lostAfterMs: 20_000 },
    ...{ requestTimeoutMs: 5000, connectTimeoutMs: 5000, reconnectBaseMs: 500, reconnectMaxMs: 10_000 },
  });
  const socket = tls.connect({
    ...{ host: '127.0.0.1', port: redirAddr.port, minVersion: 'TLSv1.3', ciphers: PSK_CIPHERS },
    checkServerIdentity: () => undefined,
    pskCallback: () => ({ identity: 'bench', psk: key }),
  });
  try {
    await relay.open();
    const guest = new GuestClient(socket);
    await guest.deviceConnected;
    await guest.configure();
    guest.startInterrupts();
    // A feature report both paths read: the first the descriptor declares (the APC's 0x01 is 2 bytes with its ID).
    const reportId = 0x0c;
    const length = (await relay.getFeatureReport(reportId, 64)).length;

    // Both paths must read the same report, not time a stall.
    const first = await guest.getFeature(reportId, length);
    if (first.type !== 'controlPacket' || first.status !== 0 || first.data.length !== length)
      throw new Error(
        `usbredir GET_REPORT(0x${reportId.toString(16)}) did not answer the report (${JSON.stringify(first)})`,
      );
    const relayReads = await timed(READS, () => relay.getFeatureReport(reportId, length));
    const redirReads = await timed(READS, () => guest.getFeature(reportId, length));

    const relayInputs = await flipLatencies(
      sim,
      (arm) =>
        new Promise<void>((resolve) => {
          const off = relay.events.on('input', () => {
            off();
            resolve();
          });
          arm();
        }),
    );
    const redirInputs = await flipLatencies(
      sim,
      (arm) =>
        new Promise<void>((resolve) => {
          guest.onInterrupt = () => {
            guest.onInterrupt = () => undefined;
            resolve();
          };
          arm();
        }),
    );
    return {
      reads: READS,
      flips: FLIPS,
      'hid relay GET_FEATURE p50 (ms)': quantile(relayReads, 0.5),
      'hid relay GET_FEATURE p99 (ms)': quantile(relayReads, 0.99),
      'usbredir control GET_REPORT p50 (ms)': quantile(redirReads, 0.5),
      'usbredir control GET_REPORT p99 (ms)': quantile(redirReads, 0.99),
      'hid relay input report p50 (ms)': quantile(relayInputs, 0.5),
      'hid relay input report p99 (ms)': quantile(relayInputs, 0.99),
      'usbredir interrupt report p50 (ms)': quantile(redirInputs, 0.5),
      'usbredir interrupt report p99 (ms)': quantile(redirInputs, 0.99),
    };
  } finally {
    socket.destroy();
    await relay.close();
    await listener.stop();
    usb.stop();
    await agent.stop();
    sim.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
