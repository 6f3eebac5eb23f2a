import { ErrorCode, UpsguardError } from '../../errors.js';
import { Listeners } from '../../util/listeners.js';
import type { SimulatedUps } from '../sim/simulated-ups.js';
import type { HidDeviceInfo, HidTransport, HidTransportEvents } from './hid-transport.js';

/** The simulated UPS behind the same seam as a real device, so everything above it runs unchanged. */
export class SimTransport implements HidTransport {
  readonly kind = 'sim' as const;
  readonly events: Listeners<HidTransportEvents>;
  private connected = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ups: SimulatedUps,
    onListenerError?: (event: string, err: unknown) => void,
  ) {
    this.events = new Listeners<HidTransportEvents>(onListenerError);
    ups.events.on('usb', (plugged) => {
      if (plugged) void this.replug();
      else this.unplug();
    });
  }

  open(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connected = true;
    this.unsubscribe = this.ups.events.on('input', (report) => {
      if (this.connected) this.events.emit('input', report);
    });
    this.events.emit('connection', 'connected', 'simulated device opened');
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (!this.connected) return Promise.resolve();
    this.connected = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.events.emit('connection', 'disconnected', 'closed');
    return Promise.resolve();
  }

  /** Simulates an unplug (or a USB reset at the moment of power transfer) and the re-plug after it. */
  unplug(): void {
    if (!this.connected) return;
    this.connected = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.events.emit('connection', 'disconnected', 'device unplugged');
  }

  replug(): Promise<void> {
    return this.open();
  }

  isConnected(): boolean {
    return this.connected;
  }

  info(): HidDeviceInfo {
    const d = this.ups.device;
    return {
      vendorId: d.vendorId,
      productId: d.productId,
      manufacturer: d.strings['3'],
      product: d.strings['1'],
      serial: d.strings['2'],
      portPath: 'sim',
      location: `sim:${d.name}`,
    };
  }

  /** Runs a device call as a promise, rejecting (never throwing) when the device is gone or the call fails. */
  private call<T>(what: string, fn: () => T): Promise<T> {
    if (!this.connected) {
      return Promise.reject(
        new UpsguardError(ErrorCode.TransportClosed, `cannot ${what}: simulated device is not connected`),
      );
    }
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  reportDescriptor(): Promise<Uint8Array> {
    return this.call('read the report descriptor', () => Uint8Array.from(this.ups.descriptorBytes));
  }

  getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    return this.call(`read feature report ${reportId}`, () => {
      const r = this.ups.getReport('feature', reportId);
      if (!r)
        throw new UpsguardError(ErrorCode.TransportIo, `feature report ${reportId} not supported (the device stalls)`);
      return r.subarray(0, Math.min(length, r.length));
    });
  }

  sendFeatureReport(data: Uint8Array): Promise<void> {
    return this.call('write a feature report', () => {
      this.ups.writeFeatureReport(data);
    });
  }

  getString(index: number): Promise<string | undefined> {
    return this.call(`read string ${index}`, () => this.ups.getString(index));
  }
}
