import { createHash } from 'node:crypto';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { identityKey } from '../ups/transport/device-identity.js';
import type { HidDeviceInfo, HidTransport } from '../ups/transport/hid-transport.js';
import { Listeners } from '../util/listeners.js';
import { InputRing, type NumberedInput } from './input-ring.js';
import { writableReportIds } from './write-allowlist.js';

export type ExportedDeviceEvents = {
  input: [input: NumberedInput];
  /** attached: first open; detached: gone; replugged: back after a re-plug, same identity. */
  plug: [kind: 'attached' | 'detached' | 'replugged', reason: string];
};

export interface ExportedDeviceOptions {
  readonly name: string;
  readonly transport: HidTransport;
  readonly log: Logger;
  readonly now: () => number;
  /** How long a feature report read serves other clients, so several clients do not multiply USB traffic. */
  readonly featureCacheMs: number;
  readonly ringSize: number;
}

/**
 * One device the agent exports. It stays open across client reconnects, numbers every input report into a ring for
 * resume, caches feature reads briefly, and knows which report IDs a controller may write.
 */
export class ExportedDevice {
  readonly events: Listeners<ExportedDeviceEvents>;
  readonly ring: InputRing;
  private readonly cache = new Map<number, { at: number; bytes: Uint8Array }>();
  private descriptor: Uint8Array | null = null;
  private descriptorHash = '';
  private writable = new Set<number>();
  private everConnected = false;
  private lastInfo: HidDeviceInfo;

  constructor(private readonly options: ExportedDeviceOptions) {
    this.events = new Listeners<ExportedDeviceEvents>((event, err) => {
      options.log.error({ device: options.name, event, err: errorMessage(err) }, 'relay listener failed');
    });
    this.ring = new InputRing(options.ringSize);
    this.lastInfo = options.transport.info();
  }

  get name(): string {
    return this.options.name;
  }

  async start(): Promise<void> {
    const t = this.options.transport;
    t.events.on('input', (bytes) => {
      this.events.emit('input', this.ring.push(Uint8Array.from(bytes), this.options.now()));
    });
    t.events.on('connection', (state, reason) => {
      this.cache.clear();
      if (state === 'connected') {
        void this.onConnected(reason);
      } else {
        this.events.emit('plug', 'detached', reason);
      }
    });
    await t.open();
  }

  async stop(): Promise<void> {
    await this.options.transport.close();
  }

  private async onConnected(reason: string): Promise<void> {
    try {
      const bytes = await this.options.transport.reportDescriptor();
      this.descriptor = bytes;
      this.descriptorHash = createHash('sha256').update(bytes).digest('hex');
      this.writable = writableReportIds(bytes);
      this.lastInfo = this.options.transport.info();
      this.events.emit('plug', this.everConnected ? 'replugged' : 'attached', reason);
      this.everConnected = true;
    } catch (err) {
      this.options.log.warn({ device: this.name, err: errorMessage(err) }, 'cannot read the report descriptor');
    }
  }

  isConnected(): boolean {
    return this.options.transport.isConnected() && this.descriptor !== null;
  }

  everAttached(): boolean {
    return this.everConnected;
  }

  info(): HidDeviceInfo {
    return this.options.transport.isConnected() ? this.options.transport.info() : this.lastInfo;
  }

  identity(): string {
    return identityKey(this.info());
  }

  /** The descriptor as last read; kept while the device is away so a client can open it meanwhile. */
  lastDescriptor(): { bytes: Uint8Array; sha256: string } | null {
    return this.descriptor ? { bytes: this.descriptor, sha256: this.descriptorHash } : null;
  }

  async getFeature(reportId: number, length: number): Promise<Uint8Array> {
    const hit = this.cache.get(reportId);
    const now = this.options.now();
    if (hit && now - hit.at < this.options.featureCacheMs) {
      return hit.bytes.subarray(0, length);
    }
    const bytes = await this.options.transport.getFeatureReport(reportId, length);
    this.cache.set(reportId, { at: now, bytes: Uint8Array.from(bytes) });
    return bytes;
  }

  canWrite(reportId: number): boolean {
    return this.writable.has(reportId);
  }

  async setFeature(bytes: Uint8Array): Promise<void> {
    this.cache.clear();
    await this.options.transport.sendFeatureReport(bytes);
  }

  async getString(index: number): Promise<string | undefined> {
    return this.options.transport.getString(index);
  }
}
