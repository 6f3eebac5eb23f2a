import { dirname } from 'node:path';
import { loadSectionFile } from '../config/load.js';
import { relayAgentSchema } from '../config/relay-schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import { RelayAgent } from '../relay/agent.js';
import { AgentStore } from '../relay/agent-store.js';
import { ExportedDevice } from '../relay/exported-device.js';
import { loadPskFile } from '../relay/psk.js';
import { HidUsbDevice } from '../relay/usbredir/hid-usb-device.js';
import { hostDeviceRow } from '../relay/usbredir/host-device-row.js';
import { LibusbDevice, type LibusbSelector } from '../relay/usbredir/libusb-device.js';
import { UsbRedirListener } from '../relay/usbredir/usbredir-listener.js';
import { loadScenario } from '../ups/build-source.js';
import { SimulatedUps, findRecordedDevice } from '../ups/sim/simulated-ups.js';
import type { HidTransport } from '../ups/transport/hid-transport.js';
import { LocalTransport } from '../ups/transport/local-transport.js';
import { SimTransport } from '../ups/transport/sim-transport.js';
import { systemClock } from '../util/clock.js';
import { PartList } from '../app/part.js';
import { parseOptions } from './args.js';
import { SystemdNotify } from '../app/systemd-notify.js';

const VALUE_FLAGS = [
  'config',
  'listen',
  'psk-file',
  'db',
  'lease-s',
  'vid',
  'pid',
  'serial',
  'path',
  'simulate',
  'scenario',
  'time-scale',
  'name',
  'usbredir',
] as const;

type AgentSettings = NonNullable<ReturnType<typeof relayAgentSchema.parse>>;

function settingsFrom(options: Record<string, string | true>): { settings: AgentSettings; baseDir: string } {
  const file = typeof options.config === 'string' ? options.config : undefined;
  const base = (file ? loadSectionFile(file, 'relay', relayAgentSchema) : undefined) ?? relayAgentSchema.parse({})!;
  const str = (k: (typeof VALUE_FLAGS)[number]): string | undefined =>
    typeof options[k] === 'string' ? options[k] : undefined;
  const num = (k: (typeof VALUE_FLAGS)[number]): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new UpsguardError(ErrorCode.CliUsage, `--${k} needs a positive number`);
    return n;
  };
  const settings: AgentSettings = {
    ...base,
    listen: str('listen') ?? base.listen,
    keys_file: str('psk-file') ?? base.keys_file,
    insecure: options.insecure === true || base.insecure,
    db: str('db') ?? base.db,
    lease_s: num('lease-s') ?? base.lease_s,
    usbredir:
      str('usbredir') !== undefined || options['usbredir-insecure'] === true
        ? {
            listen: str('usbredir') ?? base.usbredir?.listen ?? '127.0.0.1:3497',
            insecure: options['usbredir-insecure'] === true || (base.usbredir?.insecure ?? false),
            management_addresses: base.usbredir?.management_addresses ?? [],
            host_devices: base.usbredir?.host_devices ?? [],
          }
        : base.usbredir,
    simulate: str('simulate') ?? base.simulate,
    scenario: str('scenario') ?? base.scenario,
    time_scale: num('time-scale') ?? base.time_scale,
    device: {
      vendor_id: str('vid') ?? base.device.vendor_id,
      product_id: str('pid') ?? base.device.product_id,
      serial: str('serial') ?? base.device.serial,
      path: str('path') ?? base.device.path,
    },
  };
  return { settings, baseDir: file ? dirname(file) : process.cwd() };
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65_535) throw new UpsguardError(ErrorCode.CliUsage, `--listen ${text}: expected HOST:PORT`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** `upsguard relay …`: runs the agent until the stop signal; `upsguard relay release DEVICE` frees a claim. */
export async function runRelay(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  stopSignal: Promise<string>,
): Promise<number> {
  const { options, positional } = parseOptions(args, { values: VALUE_FLAGS, flags: ['insecure', 'usbredir-insecure'] });
  const { settings, baseDir } = settingsFrom(options);
  if (positional[0] === 'release') {
    const device = positional[1];
    if (device === undefined)
      throw new UpsguardError(ErrorCode.CliUsage, 'usage: upsguard relay release DEVICE [--db FILE]');
    const store = new AgentStore(settings.db);
    const claim = store.claim(device);
    const freed = store.release(device);
    store.close();
    if (!freed) {
      err(`${device}: no claim to release`);
      return 1;
    }
    out(`${device}: released the claim held by ${claim?.identity ?? 'unknown'}`);
    return 0;
  }
  if (positional.length > 0) throw new UpsguardError(ErrorCode.CliUsage, `unexpected argument ${positional[0] ?? ''}`);

  // Readable lines under journald or on a terminal, JSON on a pipe: as `serve` does.
  const log = createLogger({ level: process.env.UPSGUARD_LOG_LEVEL ?? 'info', format: 'auto' });
  const listen = parseListen(settings.listen);
  const keys = settings.insecure ? null : settings.keys_file ? loadPskFile(settings.keys_file) : null;
  // usbredir may use TLS while the HID relay is plain (a loopback tunnel), so it reads the key file on its own.
  const usbredirKeys =
    settings.usbredir && !settings.usbredir.insecure && settings.keys_file ? loadPskFile(settings.keys_file) : null;
  const clock = systemClock;
  let transport: HidTransport;
  let simulated: SimulatedUps | undefined;
  if (settings.simulate !== undefined) {
    simulated = new SimulatedUps({
      device: findRecordedDevice(settings.simulate),
      scenario: loadScenario(settings.scenario, baseDir),
      timeScale: settings.time_scale,
      clock,
    });
    simulated.events.on('step', (action, modelTimeS) => {
      log.info({ action, modelTimeS }, 'scenario step');
    });
    transport = new SimTransport(simulated);
  } else {
    const { nodeHidBackend } = await import('../ups/transport/node-hid-backend.js');
    const d = settings.device;
    transport = new LocalTransport({
      selector: {
        vendorId: d.vendor_id === undefined ? undefined : parseInt(d.vendor_id, 16),
        productId: d.product_id === undefined ? undefined : parseInt(d.product_id, 16),
        serial: d.serial,
        path: d.path,
      },
      backend: nodeHidBackend,
      clock,
      ioTimeoutMs: 3000,
      reconnectBaseMs: 1000,
      reconnectMaxMs: 30_000,
    });
  }
  const name = typeof options.name === 'string' ? options.name : 'ups';
  const device = new ExportedDevice({
    name,
    transport,
    log,
    // Sub-millisecond stamps on input reports, so a client can measure the relay's delay.
    now: () => performance.timeOrigin + performance.now(),
    featureCacheMs: settings.feature_cache_ms,
    ringSize: settings.ring_size,
  });
  // The same shape as the appliance: parts started in order, stopped in reverse within a bounded time.
  const parts = new PartList(log);
  const systemd = new SystemdNotify({ log, env: process.env });
  systemd.start();
  try {
    if (simulated) {
      const sim = simulated;
      await parts.start({ name: 'simulated-ups', start: () => sim.start(), stop: () => sim.stop() });
    }
    let store: AgentStore | null = null;
    await parts.start({
      name: 'agent-store',
      start: () => {
        store = new AgentStore(settings.db);
      },
      stop: () => store?.close(),
    });
    const made = new RelayAgent({
      host: listen.host,
      port: listen.port,
      keys,
      insecure: settings.insecure,
      devices: [device],
      store: store!,
      log,
      now: () => clock.now(),
      leaseMs: settings.lease_s * 1000,
      idleTimeoutMs: settings.idle_timeout_s * 1000,
      handshakeTimeoutMs: settings.handshake_timeout_ms,
      maxPendingHandshakesPerAddress: settings.max_pending_handshakes_per_address,
      maxPendingHandshakes: settings.max_pending_handshakes,
    });
    let addr: { host: string; port: number } = { host: listen.host, port: listen.port };
    await parts.start({
      name: 'relay-agent',
      start: async () => {
        try {
          addr = await made.start();
        } catch (e) {
          await made.stop();
          throw e;
        }
      },
      stop: () => made.stop(),
    });
    let usbredirShown = '';
    const ur = settings.usbredir;
    if (ur) {
      const urListen = parseListen(ur.listen);
      const usb = new HidUsbDevice({ device, log });
      const listener = new UsbRedirListener({
        host: urListen.host,
        port: urListen.port,
        keys: usbredirKeys,
        insecure: ur.insecure,
        managementAddresses: ur.management_addresses,
        device: usb,
        store: store!,
        log,
        now: () => clock.now(),
        leaseMs: settings.lease_s * 1000,
        handshakeTimeoutMs: settings.handshake_timeout_ms,
        changed: () => made.changed(),
      });
      made.addControllerSource((d) => (d === name ? listener.connectedConsumers() : []));
      await parts.start({
        name: 'usbredir-listener',
        start: async () => {
          await usb.start();
          const a = await listener.start();
          const h = a.host.includes(':') ? `[${a.host}]` : a.host;
          usbredirShown = `, usbredir on ${h}:${a.port} (${ur.insecure ? 'plain TCP' : 'TLS 1.3 PSK'})`;
        },
        stop: async () => {
          await listener.stop();
          usb.stop();
        },
      });
      for (const hd of ur.host_devices) {
        const hostListen = parseListen(hd.listen);
        const selector: LibusbSelector =
          hd.path !== undefined
            ? { portPath: hd.path }
            : {
                vendorId: parseInt(hd.vendor_id!, 16),
                productId: parseInt(hd.product_id!, 16),
                ...(hd.serial !== undefined ? { serial: hd.serial } : {}),
              };
        const hostDevice = new LibusbDevice({ name: hd.name, selector, log, timeoutMs: 5000 });
        const hostListener = new UsbRedirListener({
          host: hostListen.host,
          port: hostListen.port,
          keys: usbredirKeys,
          insecure: ur.insecure,
          managementAddresses: ur.management_addresses,
          device: hostDevice,
          store: store!,
          log,
          now: () => clock.now(),
          leaseMs: settings.lease_s * 1000,
          handshakeTimeoutMs: settings.handshake_timeout_ms,
          changed: () => writeRow(),
        });
        // Its row in the agent's device table, so `upsguard devices` shows who holds it, as for the UPS.
        const writeRow = (): void => {
          const claim = store!.claim(hd.name);
          const holder = claim && claim.leaseUntil > clock.now() ? claim.identity : null;
          store!.upsertDevice(
            hostDeviceRow({
              ...{ name: hd.name, device: hostDevice, selector, holder, now: clock.now() },
              holderConnected: holder !== null && hostListener.connectedConsumers().includes(holder),
            }),
          );
        };
        hostDevice.events.on('connect', writeRow);
        hostDevice.events.on('disconnect', writeRow);
        await parts.start({
          name: `usbredir-${hd.name}`,
          start: async () => {
            await hostDevice.start();
            const a = await hostListener.start();
            writeRow();
            const h = a.host.includes(':') ? `[${a.host}]` : a.host;
            usbredirShown += `, ${hd.name} on ${h}:${a.port}`;
          },
          stop: async () => {
            await hostListener.stop();
            await hostDevice.stop();
          },
        });
      }
    }
    const shown = addr.host.includes(':') ? `[${addr.host}]` : addr.host;
    out(
      `upsguard relay listening on ${shown}:${addr.port} (${settings.insecure ? 'plain TCP, loopback only' : 'TLS 1.3 PSK'})${usbredirShown}, exporting ${name}`,
    );
    log.info({ listen: `${shown}:${addr.port}`, device: name }, 'relay agent started');
    systemd.ready(`listening on ${shown}:${addr.port}, exporting ${name}`);
    const signal = await stopSignal;
    systemd.stopping();
    log.info({ signal }, 'relay agent stopping');
    return 0;
  } catch (e) {
    err(`upsguard relay: ${errorMessage(e)}`);
    return 1;
  } finally {
    await parts.stopAll(5000);
    systemd.stop();
  }
}
