import { readFileSync } from 'node:fs';
import type { ConfigDescriptor, Device, DeviceDescriptor, InEndpoint, Interface, OutEndpoint } from 'usb';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { Listeners } from '../../util/listeners.js';
import type {
  UsbControlSetup,
  UsbDeviceDescription,
  UsbDeviceEvents,
  UsbEndpointType,
  UsbRedirDevice,
  UsbSpeed,
  UsbTransferResult,
  UsbTransferStatus,
} from './usb-device.js';

/**
 * A real host USB device exported whole through libusb (the `usb` package, imported lazily in start() so nothing
 * else loads the native module). While exported, every interface is claimed and any host kernel driver detached;
 * close() gives them back. No hardware is attached in CI: the pure parts below are tested, the rest kept small.
 */

/** libusb.h `libusb_error` (API calls) and `libusb_transfer_status` (what node-usb puts in errno for transfers). */
export const LibusbError = {
  Io: -1,
  InvalidParam: -2,
  Access: -3,
  NoDevice: -4,
  NotFound: -5,
  Busy: -6,
  Timeout: -7,
  Overflow: -8,
  Pipe: -9,
  Interrupted: -10,
  NoMem: -11,
  NotSupported: -12,
  Other: -99,
} as const;
export const LibusbTransferStatus = {
  Completed: 0,
  Error: 1,
  TimedOut: 2,
  Cancelled: 3,
  Stall: 4,
  NoDevice: 5,
  Overflow: 6,
} as const;

/** A libusb failure as the usbredir status the guest's host controller would have seen. */
export function statusOfLibusbError(err: unknown): Exclude<UsbTransferStatus, 'success'> {
  const errno = (err as { errno?: unknown } | null)?.errno;
  switch (errno) {
    case LibusbError.Timeout:
    case LibusbTransferStatus.TimedOut:
      return 'timeout';
    case LibusbError.Pipe:
    case LibusbTransferStatus.Stall:
      return 'stall';
    case LibusbError.Overflow:
    case LibusbTransferStatus.Overflow:
      return 'babble';
    case LibusbError.Interrupted:
    case LibusbTransferStatus.Cancelled:
      return 'cancelled';
    case LibusbError.InvalidParam:
    case LibusbError.NotFound:
    case LibusbError.NotSupported:
      return 'inval';
    default:
      return 'ioerror';
  }
}

export function isNoDevice(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === LibusbError.NoDevice || errno === LibusbTransferStatus.NoDevice;
}

/** What the owner named: a port path as `upsguard devices` lists it (`1-1.4`), or VID:PID with an optional serial. */
export type LibusbSelector =
  { readonly portPath: string } | { readonly vendorId: number; readonly productId: number; readonly serial?: string };

export function portPathOf(d: Pick<Device, 'busNumber' | 'portNumbers'>): string {
  return `${d.busNumber}-${d.portNumbers.join('.')}`;
}

/** Without the serial, which needs the device open: matched at open(). */
export function matchesSelector(d: Pick<Device, 'busNumber' | 'portNumbers' | 'deviceDescriptor'>, s: LibusbSelector) {
  if ('portPath' in s) return portPathOf(d) === s.portPath;
  return d.deviceDescriptor.idVendor === s.vendorId && d.deviceDescriptor.idProduct === s.productId;
}

/** Linux sysfs `speed`, in Mbit/s. */
export function speedFromSysfs(text: string | undefined): UsbSpeed {
  switch (text?.trim()) {
    case '1.5':
      return 'low';
    case '12':
      return 'full';
    case '480':
      return 'high';
    case '5000':
    case '10000':
    case '20000':
      return 'super';
    default:
      return 'unknown';
  }
}

const ENDPOINT_TYPES: readonly UsbEndpointType[] = ['control', 'isochronous', 'bulk', 'interrupt'];

/** The usbredir view of a device from its descriptors: the active configuration, alt setting 0 of each interface. */
export function describeFromDescriptors(
  device: Pick<
    DeviceDescriptor,
    'bDeviceClass' | 'bDeviceSubClass' | 'bDeviceProtocol' | 'idVendor' | 'idProduct' | 'bcdDevice'
  >,
  config: Pick<ConfigDescriptor, 'interfaces'> | undefined,
  speed: UsbSpeed,
): UsbDeviceDescription {
  const settings = (config?.interfaces ?? []).map((alts) => alts[0]).filter((a) => a !== undefined);
  return {
    speed,
    deviceClass: device.bDeviceClass,
    deviceSubclass: device.bDeviceSubClass,
    deviceProtocol: device.bDeviceProtocol,
    vendorId: device.idVendor,
    productId: device.idProduct,
    deviceVersionBcd: device.bcdDevice,
    interfaces: settings.map((i) => ({
      number: i.bInterfaceNumber,
      interfaceClass: i.bInterfaceClass,
      interfaceSubclass: i.bInterfaceSubClass,
      interfaceProtocol: i.bInterfaceProtocol,
    })),
    endpoints: settings.flatMap((i) =>
      i.endpoints.map((e) => ({
        address: e.bEndpointAddress,
        type: ENDPOINT_TYPES[e.bmAttributes & 0x03]!,
        interval: e.bInterval,
        interfaceNumber: i.bInterfaceNumber,
        maxPacketSize: e.wMaxPacketSize,
      })),
    ),
  };
}

export interface LibusbDeviceOptions {
  readonly name: string;
  readonly selector: LibusbSelector;
  readonly log: Logger;
  /** Bounds every control, bulk and interrupt OUT transfer. */
  readonly timeoutMs: number;
  /** How the `usb` package is loaded; tests hand in a stand-in, since no hardware is attached there. */
  readonly loadUsb?: () => Promise<UsbModule>;
}

export type UsbModule = Pick<typeof import('usb'), 'usb' | 'getDeviceList'>;

/** A node-usb callback as a promise resolving to a usbredir status. */
function statusOf(run: (done: (err?: unknown) => void) => void): Promise<UsbTransferStatus> {
  return new Promise((resolve) => {
    try {
      run((err) => resolve(err ? statusOfLibusbError(err) : 'success'));
    } catch (err) {
      resolve(statusOfLibusbError(err));
    }
  });
}

export class LibusbDevice implements UsbRedirDevice {
  readonly events: Listeners<UsbDeviceEvents>;
  private usb: UsbModule | null = null;
  private device: Device | null = null;
  private described: UsbDeviceDescription | null = null;
  private detachedDrivers: number[] = [];
  private readonly altSettings = new Map<number, number>();
  private readonly polls = new Map<number, () => void>();
  private readonly onAttach = (d: Device): void => {
    if (!this.device && matchesSelector(d, this.options.selector)) void this.open(d);
  };
  private readonly onDetach = (d: Device): void => {
    if (d === this.device || (this.device && portPathOf(d) === portPathOf(this.device))) this.gone('device unplugged');
  };

  constructor(private readonly options: LibusbDeviceOptions) {
    this.events = new Listeners<UsbDeviceEvents>((event, err) => {
      options.log.error({ device: options.name, event, err: errorMessage(err) }, 'usb device listener failed');
    });
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<void> {
    this.usb = await (this.options.loadUsb ?? (() => import('usb')))();
    this.usb.usb.on('attach', this.onAttach);
    this.usb.usb.on('detach', this.onDetach);
    const found = this.usb.getDeviceList().find((d) => matchesSelector(d, this.options.selector));
    if (found) await this.open(found);
  }

  /** Resolves once the device is given back to the host (its kernel drivers reattached). */
  async stop(): Promise<void> {
    this.usb?.usb.removeListener('attach', this.onAttach);
    this.usb?.usb.removeListener('detach', this.onDetach);
    await this.close(true);
  }

  isConnected(): boolean {
    return this.device !== null && this.described !== null;
  }

  /** The Linux port path (`1-1.4`) of the device while it is open, for the agent's device table. */
  portPath(): string | null {
    return this.device ? portPathOf(this.device) : null;
  }

  description(): UsbDeviceDescription {
    if (!this.described) throw new UpsguardError(ErrorCode.TransportClosed, `${this.name} is not connected`);
    return this.described;
  }

  control(setup: UsbControlSetup, data: Uint8Array): Promise<UsbTransferResult> {
    const d = this.device;
    if (!d) return Promise.resolve({ status: 'ioerror' });
    // libusb owns these: a raw request would leave its (and the kernel's) view of the device behind.
    if (setup.requestType === 0x00 && setup.request === 0x09) return this.asResult(this.setConfiguration(setup.value));
    if (setup.requestType === 0x01 && setup.request === 0x0b) {
      return this.asResult(this.setAltSetting(setup.index, setup.value));
    }
    const isIn = (setup.requestType & 0x80) !== 0;
    d.timeout = this.options.timeoutMs;
    return new Promise((resolve) => {
      try {
        d.controlTransfer(
          setup.requestType,
          setup.request,
          setup.value,
          setup.index,
          isIn ? setup.length : Buffer.from(data),
          (err, buf) => resolve(this.result(err, buf)),
        );
      } catch (err) {
        resolve(this.result(err, undefined));
      }
    });
  }

  async setConfiguration(configuration: number): Promise<UsbTransferStatus> {
    const d = this.device;
    if (!d) return 'ioerror';
    // libusb refuses to change the configuration while interfaces are claimed (LIBUSB_ERROR_BUSY).
    await this.releaseInterfaces();
    const status = await statusOf((done) => d.setConfiguration(configuration, done));
    this.claimInterfaces(d);
    this.described = this.describe(d);
    return status;
  }

  getConfiguration(): number {
    return this.device?.configDescriptor?.bConfigurationValue ?? 0;
  }

  async setAltSetting(interfaceNumber: number, alt: number): Promise<UsbTransferStatus> {
    const iface = this.interfaceOf(interfaceNumber);
    if (!iface) return this.device ? 'inval' : 'ioerror';
    const status = await statusOf((done) => iface.setAltSetting(alt, done));
    if (status === 'success') this.altSettings.set(interfaceNumber, alt);
    return status;
  }

  getAltSetting(interfaceNumber: number): number {
    return this.altSettings.get(interfaceNumber) ?? 0;
  }

  bulk(endpoint: number, data: Uint8Array, length: number): Promise<UsbTransferResult> {
    return this.transfer(endpoint, data, length);
  }

  async interruptOut(endpoint: number, data: Uint8Array): Promise<UsbTransferStatus> {
    return (await this.transfer(endpoint, data, 0)).status;
  }

  startInterruptIn(endpoint: number, onPacket: (result: UsbTransferResult) => void): () => void {
    this.polls.get(endpoint)?.();
    const ep = this.endpointOf(endpoint);
    if (!ep || ep.direction !== 'in') {
      queueMicrotask(() => onPacket({ status: this.device ? 'inval' : 'ioerror' }));
      return () => undefined;
    }
    const inEp = ep as InEndpoint;
    const onData = (buf: Buffer): void => onPacket({ status: 'success', data: Uint8Array.from(buf) });
    const onError = (err: unknown): void => {
      onPacket({ status: statusOfLibusbError(err) });
      if (isNoDevice(err)) this.gone('device unplugged');
    };
    inEp.on('data', onData);
    inEp.on('error', onError);
    inEp.startPoll(3, inEp.descriptor.wMaxPacketSize);
    const stop = (): void => {
      if (this.polls.get(endpoint) !== stop) return;
      this.polls.delete(endpoint);
      inEp.removeListener('data', onData);
      inEp.removeListener('error', onError);
      if (inEp.pollActive) inEp.stopPoll();
    };
    this.polls.set(endpoint, stop);
    return stop;
  }

  async reset(): Promise<void> {
    const d = this.device;
    if (!d) return;
    const status = await statusOf((done) => d.reset(done));
    if (status !== 'success') this.options.log.warn({ device: this.name, status }, 'usb reset failed');
    this.altSettings.clear();
  }

  private async open(d: Device): Promise<void> {
    try {
      d.open();
      d.timeout = this.options.timeoutMs;
      const selector = this.options.selector;
      if ('serial' in selector && selector.serial !== undefined) {
        const serial = await new Promise<string | undefined>((resolve) =>
          d.getStringDescriptor(d.deviceDescriptor.iSerialNumber, (_err, value) => resolve(value)),
        );
        if (serial !== selector.serial) {
          d.close();
          return;
        }
      }
      this.device = d;
      this.claimInterfaces(d);
      this.described = this.describe(d);
      this.events.emit('connect');
    } catch (err) {
      this.options.log.warn({ device: this.name, err: errorMessage(err) }, 'cannot open the usb device for export');
      this.device ??= d;
      await this.close(true);
    }
  }

  /** Claims every interface of the active configuration, detaching (and remembering) a kernel driver first. */
  private claimInterfaces(d: Device): void {
    for (const iface of d.interfaces ?? []) {
      if (iface.isKernelDriverActive()) {
        iface.detachKernelDriver();
        if (!this.detachedDrivers.includes(iface.interfaceNumber)) this.detachedDrivers.push(iface.interfaceNumber);
      }
      iface.claim();
    }
  }

  private async releaseInterfaces(): Promise<void> {
    for (const stop of [...this.polls.values()]) stop();
    for (const iface of this.device?.interfaces ?? []) {
      await statusOf((done) => iface.release(true, done));
    }
  }

  /** Gives the device back to the host: interfaces released, kernel drivers reattached (unless it is gone). */
  private close(reattach: boolean): Promise<void> {
    for (const stop of [...this.polls.values()]) stop();
    const d = this.device;
    const detached = reattach ? this.detachedDrivers : [];
    this.device = null;
    this.described = null;
    this.detachedDrivers = [];
    this.altSettings.clear();
    return d ? this.giveBack(d, detached) : Promise.resolve();
  }

  private async giveBack(d: Device, reattach: readonly number[]): Promise<void> {
    for (const iface of d.interfaces ?? []) {
      // Fails when never claimed or the device is gone: nothing to give back then.
      await statusOf((done) => iface.release(true, done));
      if (!reattach.includes(iface.interfaceNumber)) continue;
      try {
        iface.attachKernelDriver();
      } catch (err) {
        this.options.log.warn(
          { device: this.name, iface: iface.interfaceNumber, err: errorMessage(err) },
          'cannot reattach the kernel driver',
        );
      }
    }
    // Only now: the reattach needs the handle open, and closing earlier would cancel the releases.
    try {
      d.close();
    } catch {
      // Already closed.
    }
  }

  private gone(reason: string): void {
    if (!this.device) return;
    void this.close(false);
    this.events.emit('disconnect', reason);
  }

  private describe(d: Device): UsbDeviceDescription {
    let speed: UsbSpeed = 'unknown';
    try {
      speed = speedFromSysfs(readFileSync(`/sys/bus/usb/devices/${portPathOf(d)}/speed`, 'utf8'));
    } catch {
      // Not Linux, or no sysfs: the guest side then assumes full speed.
    }
    return describeFromDescriptors(d.deviceDescriptor, d.configDescriptor, speed === 'unknown' ? 'full' : speed);
  }

  private interfaceOf(n: number): Interface | undefined {
    return this.device?.interfaces?.find((i) => i.interfaceNumber === n);
  }

  private endpointOf(address: number): InEndpoint | OutEndpoint | undefined {
    for (const iface of this.device?.interfaces ?? []) {
      const ep = iface.endpoint(address);
      if (ep) return ep as InEndpoint | OutEndpoint;
    }
    return undefined;
  }

  private transfer(endpoint: number, data: Uint8Array, length: number): Promise<UsbTransferResult> {
    const ep = this.endpointOf(endpoint);
    if (!ep) return Promise.resolve({ status: this.device ? 'inval' : 'ioerror' });
    ep.timeout = this.options.timeoutMs;
    return new Promise((resolve) => {
      try {
        if (ep.direction === 'in') {
          (ep as InEndpoint).transfer(length, (err, buf) => resolve(this.result(err, buf)));
        } else {
          (ep as OutEndpoint).transfer(Buffer.from(data), (err) => resolve(this.result(err, undefined)));
        }
      } catch (err) {
        resolve(this.result(err, undefined));
      }
    });
  }

  private result(err: unknown, buf: Buffer | number | undefined): UsbTransferResult {
    if (err) {
      if (isNoDevice(err)) this.gone('device unplugged');
      return { status: statusOfLibusbError(err) };
    }
    return { status: 'success', data: Buffer.isBuffer(buf) ? Uint8Array.from(buf) : new Uint8Array(0) };
  }

  private async asResult(status: Promise<UsbTransferStatus>): Promise<UsbTransferResult> {
    const s = await status;
    return s === 'success' ? { status: 'success', data: new Uint8Array(0) } : { status: s };
  }
}
