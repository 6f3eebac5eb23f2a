// Issue 14's proof with real QEMU: the relay agent's usbredir listener exports the simulated UPS as a whole USB
// device, and a Debian kernel in a TCG guest (QEMU's xHCI + usb-redir over TLS 1.3 PSK) sees it as its own: the UPS's
// VID:PID and report descriptor under /sys/class/hidraw, an input report on /dev/hidraw0 when mains is lost, an unplug
// and a replug followed with the claim kept, a second consumer refused, and a live migration to a second QEMU after
// which the next transition still arrives and one consumer held one claim throughout.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RelayAgent } from '../../src/relay/agent.js';
import { AgentStore } from '../../src/relay/agent-store.js';
import { ExportedDevice } from '../../src/relay/exported-device.js';
import { PSK_CIPHERS } from '../../src/relay/psk.js';
import { HidUsbDevice } from '../../src/relay/usbredir/hid-usb-device.js';
import { UsbRedirListener } from '../../src/relay/usbredir/usbredir-listener.js';
import { parseScenario } from '../../src/ups/sim/scenario.js';
import { SimulatedUps, findRecordedDevice } from '../../src/ups/sim/simulated-ups.js';
import { SimTransport } from '../../src/ups/transport/sim-transport.js';
import { ManualClock } from '../../src/util/clock.js';
import { describeWithPeers } from '../helpers/peers.js';
import { haveQemuGuest, startGuest, type Guest } from '../helpers/qemu-guest.js';
import { until } from '../helpers/until.js';

const d = describeWithPeers({ 'qemu-system-x86_64 with a readable /boot kernel and busybox': haveQemuGuest() });

const KEY = randomBytes(32);
const OTHER_KEY = randomBytes(32);
const IDENTITY = 'nut-vm';
const LEASE_MS = 60_000;
const HIDRAW = '/sys/class/hidraw/hidraw0/device/report_descriptor';
/** The USB device of hidraw0, whatever port the guest's xHCI gave it. */
const USB_DEVICE_OF_HIDRAW = 'readlink -f /sys/class/hidraw/hidraw0/device/../..';

d('usbredir: a QEMU guest sees the agent’s UPS as its own USB device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-usbredir-guest-'));
  const log = createLogger({ level: 'silent' });
  const store = new AgentStore(join(dir, 'relay.db'));
  const device = findRecordedDevice('apc-back-ups-cs-500');
  const sim = new SimulatedUps({
    device,
    scenario: parseScenario('0 mains on'),
    timeScale: 1,
    clock: new ManualClock(),
  });
  const transport = new SimTransport(sim);
  const exported = new ExportedDevice({
    name: 'ups',
    transport,
    log,
    now: () => Date.now(),
    featureCacheMs: 0,
    ringSize: 64,
  });
  const keys = new Map([
    [IDENTITY, KEY],
    ['intruder', OTHER_KEY],
  ]);
  const agent = new RelayAgent({
    ...{ host: '127.0.0.1', port: 0, keys, insecure: false, devices: [exported], store, log },
    ...{ now: () => Date.now(), leaseMs: LEASE_MS, idleTimeoutMs: 30_000, handshakeTimeoutMs: 5000 },
  });
  const usb = new HidUsbDevice({ device: exported, log });
  let listener: UsbRedirListener;
  let usbredirPort = 0;
  let guest: Guest;
  /** Every input report the agent exported, as the guest's hidraw reads them (report ID first). */
  const exportedInputs: Buffer[] = [];

  beforeAll(async () => {
    sim.start();
    await agent.start();
    await until('the exported device to open', () => exported.isConnected(), 5000);
    exported.events.on('input', (i) => exportedInputs.push(Buffer.from(i.bytes)));
    await usb.start();
    listener = new UsbRedirListener({
      ...{ host: '127.0.0.1', port: 0, keys, insecure: false, device: usb, store, log },
      ...{ now: () => Date.now(), leaseMs: LEASE_MS, handshakeTimeoutMs: 5000, changed: () => agent.changed() },
    });
    agent.addControllerSource((name) => (name === 'ups' ? listener.connectedConsumers() : []));
    const { port } = await listener.start();
    usbredirPort = port;
    // GnuTLS's PSK file: `username:hexkey`, the same key as the agent's `IDENTITY HEXKEY` line.
    writeFileSync(join(dir, 'keys.psk'), `${IDENTITY}:${KEY.toString('hex')}\n`, { mode: 0o600 });
    guest = await startGuest({
      usb: ['-device', 'usb-redir,chardev=redir0,bus=xhci.0,id=ups'],
      extra: [
        ...['-object', `tls-creds-psk,id=psk0,endpoint=client,dir=${dir},username=${IDENTITY}`],
        ...['-chardev', `socket,id=redir0,host=127.0.0.1,port=${port},reconnect=1,tls-creds=psk0`],
      ],
    });
    await guest.waitReady(150_000);
  }, 200_000);

  afterAll(async () => {
    // Either may be missing when the boot failed: beforeAll's error is the one to see, not one from here.
    await (guest as Guest | undefined)?.stop();
    await (listener as UsbRedirListener | undefined)?.stop();
    usb.stop();
    await agent.stop();
    sim.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const claimHolder = (): string | undefined => store.claim('ups')?.identity;

  let captures = 0;
  /**
   * Starts one read() of /dev/hidraw0 in the guest's background (hidraw returns one whole report per read), waits
   * until the device is open so nothing the test then makes the UPS send can come first, and returns its result.
   */
  async function readOneReport(): Promise<() => Promise<Buffer>> {
    const tag = `/tmp/report-${++captures}`;
    await guest.run(
      `(timeout 30 dd if=/dev/hidraw0 of=${tag} bs=256 count=1; echo $? >${tag}.rc) </dev/null >/dev/null 2>&1 &`,
    );
    await guest.runUntil(
      'hidraw0 to be open in the guest',
      'for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f")" = /dev/hidraw0 ] && exit 0; done; exit 1',
      15_000,
    );
    return async () => {
      await guest.runUntil('the report read to end', `test -s ${tag}.rc`, 45_000);
      return (await guest.run(`cat ${tag}`)).raw;
    };
  }

  it('shows a USB HID device with the UPS’s VID:PID and its report descriptor byte for byte', async () => {
    await guest.runUntil('hidraw0 in the guest', `test -e ${HIDRAW}`, 90_000);
    const usbDir = (await guest.run(USB_DEVICE_OF_HIDRAW)).out.trim();
    const vid = (await guest.run(`cat ${usbDir}/idVendor`)).out.trim();
    const pid = (await guest.run(`cat ${usbDir}/idProduct`)).out.trim();
    const info = exported.info();
    expect(`${vid}:${pid}`).toBe(
      `${info.vendorId.toString(16).padStart(4, '0')}:${info.productId.toString(16).padStart(4, '0')}`,
    );
    const descriptor = (await guest.run(`cat ${HIDRAW}`)).raw;
    expect(descriptor.toString('hex')).toBe(Buffer.from(exported.lastDescriptor()!.bytes).toString('hex'));
    // The strings Linux read through GET_DESCRIPTOR are the UPS's own.
    expect((await guest.run(`cat ${usbDir}/product`)).out.replace(/\n$/, '')).toBe(info.product);
    expect(claimHolder()).toBe(IDENTITY);
    expect(agent.inventory().find((r) => r.name === 'ups')).toMatchObject({ state: 'attached', controller: IDENTITY });
  }, 120_000);

  it('delivers an input report on /dev/hidraw0 when the simulated UPS loses mains', async () => {
    const report = await readOneReport();
    const before = exportedInputs.length;
    sim.setMains(false);
    const got = await report();
    const sent = exportedInputs.slice(before);
    expect(sent.length).toBeGreaterThan(0);
    // hidraw starts each report with its ID, as the agent's exported reports do: the guest read the first one sent.
    expect(got.length).toBeGreaterThan(0);
    expect(sent.map((b) => b.subarray(0, 1).toString('hex'))).toContain(got.subarray(0, 1).toString('hex'));
    const firstOfItsId = sent.find((b) => b[0] === got[0])!;
    expect(got.toString('hex')).toBe(firstOfItsId.toString('hex'));
  }, 90_000);

  it('follows an unplug and a replug of the device while the guest runs, keeping the claim', async () => {
    transport.unplug();
    await guest.runUntil('hidraw0 to go away', `test ! -e ${HIDRAW}`, 60_000);
    expect(claimHolder()).toBe(IDENTITY);
    await transport.replug();
    await guest.runUntil('hidraw0 to come back', `test -e ${HIDRAW}`, 60_000);
    expect(claimHolder()).toBe(IDENTITY);
    const report = await readOneReport();
    sim.setMains(true);
    expect((await report()).length).toBeGreaterThan(0);
  }, 150_000);

  it('refuses a second consumer while the guest holds the claim', async () => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: usbredirPort,
      minVersion: 'TLSv1.3',
      ciphers: PSK_CIPHERS,
      checkServerIdentity: () => undefined,
      pskCallback: () => ({ identity: 'intruder', psk: OTHER_KEY }),
    });
    const closedWithout = await new Promise<boolean>((resolve) => {
      let data = false;
      s.on('data', () => (data = true));
      s.on('error', () => undefined);
      s.once('close', () => resolve(!data));
    });
    expect(closedWithout).toBe(true);
    expect(claimHolder()).toBe(IDENTITY);
    expect(listener.connectedConsumers()).toEqual([IDENTITY]);
  }, 30_000);

  it('keeps the device through a live migration to a second QEMU: the next transition arrives, one claim throughout', async () => {
    const holders = new Set<string | undefined>();
    const watch = setInterval(() => holders.add(claimHolder()), 50);
    try {
      const usbDir = (await guest.run(USB_DEVICE_OF_HIDRAW)).out.trim();
      const devnum = (await guest.run(`cat ${usbDir}/devnum`)).out.trim();
      // A transition while the guest moves: the read started in the source, the report is sent while the migration
      // runs (the new connection takes the reports and the destination reads them once it runs), and arrives.
      const during = await readOneReport();
      const sentBefore = exportedInputs.length;
      const moving = guest.migrate(150_000);
      await new Promise((r) => setTimeout(r, 100));
      sim.setMains(false);
      const times = await moving;
      console.info(`migrated in ${times.migrateMs} ms (${times.totalMs} ms with the second QEMU's start)`);
      expect(exportedInputs.length).toBeGreaterThan(sentBefore);
      expect((await during()).length).toBeGreaterThan(0);
      // The source QEMU is gone; its connection closes and the destination's is the one consumer left.
      await until('one usbredir connection left', () => listener.connectedConsumers().length === 1, 10_000);
      // Not re-enumerated: the guest kept the same USB device through the move (a fresh attach renumbers it).
      expect((await guest.run(`cat ${usbDir}/devnum`)).out.trim()).toBe(devnum);
      const after = await readOneReport();
      const before = exportedInputs.length;
      sim.setMains(true);
      const got = await after();
      expect(exportedInputs.length).toBeGreaterThan(before);
      expect(got.length).toBeGreaterThan(0);
    } finally {
      clearInterval(watch);
    }
    expect([...holders]).toEqual([IDENTITY]);
    expect(listener.connectedConsumers()).toEqual([IDENTITY]);
  }, 240_000);
});
