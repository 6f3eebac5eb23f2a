import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../errors.js';
import type { ExportedDeviceInfo, HostUsbDeviceInfo } from '../../relay/protocol.js';
import { hex16 } from '../../util/hex.js';
import type { DevicesResponse, ExportedDeviceView, HostUsbDeviceView, RelayDevicesView } from '../api-types/devices.js';
import type { WebRouteOptions } from '../deps.js';

/** What a relay agent says it exports, and the USB devices on its host, as one ListDevices answer carries them. */
export interface RelayInventoryLists {
  readonly devices: readonly ExportedDeviceInfo[];
  readonly host: readonly HostUsbDeviceInfo[];
}

/** Asks the agent behind one relay-sourced UPS for its lists (a request over the live link, with its own timeout). */
export type RelayInventory = () => Promise<RelayInventoryLists>;

/** The page waits this long for an agent before showing the link without the lists. */
const AGENT_WAIT_MS = 3000;

function exportedView(d: ExportedDeviceInfo): ExportedDeviceView {
  return {
    name: d.name,
    identity: d.identity,
    vendorId: hex16(d.vendorId),
    productId: hex16(d.productId),
    manufacturer: d.manufacturer,
    product: d.product,
    serial: d.serial,
    portPath: d.portPath,
    state: d.state,
    controller: d.controller,
    leaseUntil: d.leaseUntil,
    stateChangedAt: d.stateChangedAt,
  };
}

function hostView(d: HostUsbDeviceInfo): HostUsbDeviceView {
  return {
    bus: d.bus,
    deviceNumber: d.deviceNumber,
    portPath: d.portPath,
    vendorId: hex16(d.vendorId),
    productId: hex16(d.productId),
    manufacturer: d.manufacturer,
    product: d.product,
    isHid: d.isHid,
    claim: d.claim,
  };
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the agent did not answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function deviceRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get('/api/devices', { config: { access: 'viewer' } }, async (): Promise<DevicesResponse> => {
    const relays: Promise<RelayDevicesView>[] = [];
    const local: DevicesResponse['local'][number][] = [];
    for (const u of deps.ups) {
      const info = u.info();
      const link = u.diagnostics().relay;
      if (info.kind === 'usb') {
        local.push({
          ups: u.name,
          location: info.location,
          vendorId: info.vendorId === undefined ? null : hex16(info.vendorId),
          productId: info.productId === undefined ? null : hex16(info.productId),
        });
      }
      if (link === null) continue;
      const ask = deps.readApis?.relayInventory?.(u.name) ?? null;
      relays.push(
        (async (): Promise<RelayDevicesView> => {
          if (ask === null)
            return { ups: u.name, link, devices: [], host: [], problem: 'the relay client keeps no list' };
          // A relay that is down is shown with its link state at once, not after a timeout.
          if (link.link !== 'connected') {
            return { ups: u.name, link, devices: [], host: [], problem: link.problem ?? `relay link ${link.link}` };
          }
          try {
            const lists = await withTimeout(ask(), AGENT_WAIT_MS);
            return {
              ups: u.name,
              link,
              devices: lists.devices.map(exportedView),
              host: lists.host.map(hostView),
              problem: null,
            };
          } catch (err) {
            return { ups: u.name, link, devices: [], host: [], problem: errorMessage(err) };
          }
        })(),
      );
    }
    return { relays: await Promise.all(relays), local };
  });
}
