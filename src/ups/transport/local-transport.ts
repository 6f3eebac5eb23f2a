import { createHash } from 'node:crypto';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { Listeners } from '../../util/listeners.js';
import { backoffMs, withTimeout } from '../../util/timeout.js';
import type { HidBackend, HidDeviceEntry, HidHandle } from './hid-backend.js';
import type { HidDeviceInfo, HidTransport, HidTransportEvents } from './hid-transport.js';
import {
  describeSelector,
  identityKey,
  looksLikeUps,
  matchesSelector,
  type DeviceSelector,
} from './device-identity.js';

export interface LocalTransportOptions {
  readonly selector: DeviceSelector;
  readonly backend: HidBackend;
  readonly clock: Clock;
  readonly ioTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  readonly onListenerError?: (event: string, err: unknown) => void;
  readonly random?: () => number;
}

interface Candidate extends HidDeviceEntry {
  readonly portPath?: string;
}

/**
 * A UPS on this machine's USB bus through hidraw (node-hid). A missing or vanished device is a state, not a failure:
 * the transport keeps looking with backoff and reports `connection` events. After a re-plug the device must show the
 * same identity; a different report descriptor behind the same identity is reported and writes are refused.
 */
export class LocalTransport implements HidTransport {
  readonly kind = 'local' as const;
  readonly events: Listeners<HidTransportEvents>;
  private handle: HidHandle | null = null;
  private current: Candidate | null = null;
  private identity: string | null = null;
  private descriptorHash: string | null = null;
  private descriptor: Uint8Array | null = null;
  private identityMismatch = false;
  private attempt = 0;
  private retry: TimerHandle | null = null;
  private stopped = true;
  private lastError = '';

  constructor(private readonly options: LocalTransportOptions) {
    this.events = new Listeners<HidTransportEvents>(options.onListenerError);
  }

  /** Starts looking for the device; resolves after the first attempt whether or not it was found. */
  async open(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  async close(): Promise<void> {
    this.stopped = true;
    if (this.retry) this.options.clock.clearTimeout(this.retry);
    this.retry = null;
    await this.drop('closed');
  }

  isConnected(): boolean {
    return this.handle !== null;
  }

  /** Why the device is not connected, for the status page. */
  lastProblem(): string {
    return this.lastError;
  }

  info(): HidDeviceInfo {
    const c = this.current;
    if (!c) {
      return {
        vendorId: this.options.selector.vendorId ?? 0,
        productId: this.options.selector.productId ?? 0,
        location: `usb:${describeSelector(this.options.selector)}`,
      };
    }
    return {
      vendorId: c.vendorId,
      productId: c.productId,
      manufacturer: c.manufacturer,
      product: c.product,
      serial: c.serial,
      portPath: c.portPath,
      location: c.path,
    };
  }

  async reportDescriptor(): Promise<Uint8Array> {
    this.requireHandle('read the report descriptor');
    if (!this.descriptor) throw new UpsguardError(ErrorCode.TransportIo, 'report descriptor not read yet');
    return Promise.resolve(Uint8Array.from(this.descriptor));
  }

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    const h = this.requireHandle(`read feature report ${reportId}`);
    try {
      return await withTimeout(
        h.getFeatureReport(reportId, length),
        this.options.ioTimeoutMs,
        `GET_REPORT feature ${reportId}`,
      );
    } catch (err) {
      throw this.ioError(`GET_REPORT feature ${reportId}`, err);
    }
  }

  async sendFeatureReport(data: Uint8Array): Promise<void> {
    const h = this.requireHandle('write a feature report');
    if (this.identityMismatch) {
      throw new UpsguardError(
        ErrorCode.DeviceIdentityMismatch,
        'refusing to write: the device behind this identity has a different report descriptor than before',
      );
    }
    try {
      await withTimeout(h.sendFeatureReport(data), this.options.ioTimeoutMs, `SET_REPORT feature ${data[0] ?? 0}`);
    } catch (err) {
      throw this.ioError(`SET_REPORT feature ${data[0] ?? 0}`, err);
    }
  }

  async getString(index: number): Promise<string | undefined> {
    const port = this.current?.portPath;
    if (!port || index <= 0) return undefined;
    try {
      return await withTimeout(
        this.options.backend.getString(port, index),
        this.options.ioTimeoutMs,
        `string ${index}`,
      );
    } catch {
      // Strings are optional: a device that stalls the request simply has none to show.
      return undefined;
    }
  }

  private requireHandle(what: string): HidHandle {
    if (!this.handle) {
      throw new UpsguardError(
        ErrorCode.TransportClosed,
        `cannot ${what}: UPS not connected (${this.lastError || 'not found'})`,
      );
    }
    return this.handle;
  }

  private ioError(what: string, err: unknown): UpsguardError {
    if (err instanceof UpsguardError && err.code === ErrorCode.TransportTimeout) return err;
    // An I/O error on a hidraw node almost always means the device went away (UPSes re-enumerate on transfer).
    void this.drop(`${what} failed: ${errorMessage(err)}`).then(() => {
      this.scheduleReconnect();
    });
    return new UpsguardError(ErrorCode.TransportIo, `${what} failed: ${errorMessage(err)}`);
  }

  private async candidates(): Promise<Candidate[]> {
    const entries = await this.options.backend.list();
    const out: Candidate[] = [];
    for (const e of entries) {
      if (!looksLikeUps(e.usagePage) && this.options.selector.vendorId === undefined) continue;
      out.push({ ...e, portPath: await this.options.backend.portPath(e.path) });
    }
    return out.filter((c) => matchesSelector({ ...c, location: c.path }, this.options.selector));
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.handle) return;
    try {
      const found = await this.candidates();
      const serialCounts = new Map<string, number>();
      for (const c of found) if (c.serial) serialCounts.set(c.serial, (serialCounts.get(c.serial) ?? 0) + 1);
      const keyOf = (c: Candidate): string => identityKey(c, c.serial ? serialCounts.get(c.serial) : 0);
      // After the first connection only the same identity will do; before it, the selector must be unambiguous.
      const pick = this.identity ? found.filter((c) => keyOf(c) === this.identity) : found;
      if (pick.length === 0) throw new Error(`no UPS matching ${describeSelector(this.options.selector)}`);
      if (pick.length > 1) {
        throw new Error(
          `${pick.length} devices match ${describeSelector(this.options.selector)}; select one by serial or path: ${pick
            .map((c) => c.portPath ?? c.path)
            .join(', ')}`,
        );
      }
      const chosen = pick[0]!;
      const descriptor = await this.options.backend.reportDescriptor(chosen.path);
      const hash = createHash('sha256').update(descriptor).digest('hex');
      const handle = await withTimeout(this.options.backend.open(chosen.path), this.options.ioTimeoutMs, 'open');
      this.identityMismatch = this.descriptorHash !== null && this.descriptorHash !== hash;
      this.identity = keyOf(chosen);
      this.descriptorHash ??= hash;
      this.descriptor = descriptor;
      this.current = chosen;
      this.handle = handle;
      this.attempt = 0;
      this.lastError = '';
      handle.onData((r) => {
        if (this.handle === handle) this.events.emit('input', r);
      });
      handle.onError((err) => {
        if (this.handle !== handle) return;
        void this.drop(`device error: ${err.message}`).then(() => {
          this.scheduleReconnect();
        });
      });
      this.events.emit(
        'connection',
        'connected',
        this.identityMismatch
          ? 'reconnected, but the report descriptor changed: writes refused'
          : `opened ${chosen.path}`,
      );
    } catch (err) {
      this.lastError = errorMessage(err);
      this.scheduleReconnect();
    }
  }

  private async drop(reason: string): Promise<void> {
    const h = this.handle;
    if (!h) return;
    this.handle = null;
    this.lastError = reason;
    this.events.emit('connection', 'disconnected', reason);
    try {
      await h.close();
    } catch {
      // Closing a device that has already gone fails; there is nothing left to release.
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retry || this.handle) return;
    const delay = backoffMs(
      this.attempt++,
      this.options.reconnectBaseMs,
      this.options.reconnectMaxMs,
      this.options.random,
    );
    this.retry = this.options.clock.setTimeout(() => {
      this.retry = null;
      void this.connect();
    }, delay);
  }
}
