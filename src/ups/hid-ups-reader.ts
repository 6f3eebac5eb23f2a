import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { readLogical, readValue, setValue, writeValue } from './hid/report-codec.js';
import type { ReportType } from './hid/types.js';
import { createUpsModel, type UpsCommand, type UpsModel, type UpsReading } from './pdc/index.js';
import { Listeners } from '../util/listeners.js';
import type { HidTransport } from './transport/hid-transport.js';
import type { UpsSource, UpsSourceEvents, UpsSourceInfo } from './ups-source.js';

const key = (type: ReportType, id: number): string => `${type}:${id}`;

/** DelayBeforeShutdown, and APC's APCDelayBeforeShutdown. */
const SHUTDOWN_DELAY_USAGES: ReadonlySet<number> = new Set([0x840057, 0xff86007d]);

export interface HidUpsReaderOptions {
  readonly transport: HidTransport;
  /** Driver-side delays (ups.delay.shutdown / ups.delay.start) when the config sets them. */
  readonly offDelayS?: number;
  readonly onDelayS?: number;
  readonly onListenerError?: (event: string, err: unknown) => void;
  /** Called once per malformed input report; the report is dropped and reading goes on. */
  readonly onBadReport?: (err: unknown) => void;
}

/**
 * The UPS reader: a HID device (any transport) as a UpsSource. It keeps the latest bytes of every report, merges
 * interrupt reports into them the way NUT does (an input field updates the same path's feature value), and decodes
 * through the Power Device Class model.
 */
export class HidUpsReader implements UpsSource {
  readonly events: Listeners<UpsSourceEvents>;
  private model: UpsModel | null = null;
  private modelHash = '';
  private readonly cache = new Map<string, Uint8Array>();
  private readonly strings = new Map<number, string | undefined>();
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: HidUpsReaderOptions) {
    this.events = new Listeners<UpsSourceEvents>(options.onListenerError);
  }

  async start(): Promise<void> {
    const t = this.options.transport;
    this.unsubscribe.push(
      t.events.on('input', (r) => {
        this.onInput(r);
      }),
      t.events.on('connection', (state, reason) => {
        if (state === 'disconnected') this.cache.clear();
        this.events.emit('connection', state === 'connected', reason);
      }),
    );
    await t.open();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.options.transport.close();
  }

  info(): UpsSourceInfo {
    const i = this.options.transport.info();
    const kind = this.options.transport.kind === 'local' ? 'usb' : this.options.transport.kind;
    return { kind, location: i.location, vendorId: i.vendorId, productId: i.productId };
  }

  supportedCommands(): readonly UpsCommand[] {
    return this.model?.commands ?? [];
  }

  loadOffHonoursDelay(): boolean | null {
    const model = this.model;
    if (!model?.commands.includes('shutdown.return')) return model ? false : null;
    // A delay that reaches the device is a write to a shutdown-delay register; anything else cuts at once.
    return model
      .planCommand('shutdown.return', { offDelay: 120, onDelay: 240 })
      .some((s) => s.kind === 'write' && SHUTDOWN_DELAY_USAGES.has(s.field.usage));
  }

  async poll(kind: 'quick' | 'full'): Promise<UpsReading> {
    const model = await this.ensureModel();
    const refs = kind === 'full' || this.cache.size === 0 ? model.fullReports : model.quickReports;
    for (const ref of refs) {
      if (ref.type !== 'feature') continue;
      const length = model.descriptor.reportLength('feature', ref.reportId);
      try {
        this.cache.set(
          key('feature', ref.reportId),
          await this.options.transport.getFeatureReport(ref.reportId, length),
        );
      } catch (err) {
        // A report the device refuses (a STALL) is "not supported", not a lost device; the transport says when it is.
        if (!this.options.transport.isConnected()) throw err;
      }
    }
    return this.decode(model);
  }

  async command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number } = {}): Promise<void> {
    const model = await this.ensureModel();
    const steps = model.planCommand(cmd, {
      offDelay: opts.offDelay ?? this.options.offDelayS,
      onDelay: opts.onDelay ?? this.options.onDelayS,
    });
    for (const s of steps) {
      if (s.kind === 'wait') {
        await new Promise((r) => setTimeout(r, s.ms));
        continue;
      }
      const length = model.descriptor.reportLength('feature', s.field.reportId);
      // Other fields share the report: read it fresh and patch only ours.
      const report = Uint8Array.from(await this.options.transport.getFeatureReport(s.field.reportId, length));
      writeValue(s.field, report, s.value);
      await this.options.transport.sendFeatureReport(report);
    }
    this.cache.clear();
  }

  private async ensureModel(): Promise<UpsModel> {
    const t = this.options.transport;
    if (!t.isConnected()) {
      throw new UpsguardError(ErrorCode.TransportClosed, `UPS at ${t.info().location} is not connected`);
    }
    const bytes = await t.reportDescriptor();
    const hash = Buffer.from(bytes).toString('base64');
    if (this.model && hash === this.modelHash) return this.model;
    const info = t.info();
    this.model = createUpsModel(bytes, {
      vendorId: info.vendorId,
      productId: info.productId,
      manufacturer: info.manufacturer,
      product: info.product,
      serial: info.serial,
    });
    this.modelHash = hash;
    this.cache.clear();
    await this.loadStrings(this.model);
    return this.model;
  }

  private async loadStrings(model: UpsModel): Promise<void> {
    this.strings.clear();
    // String-valued fields hold a string-descriptor index; fetch those once per device.
    const indexFields = model.descriptor.fields.filter(
      (f) => /\.i[A-Z][A-Za-z]*$/.test(f.path) && f.type === 'feature',
    );
    const ids = new Set(indexFields.map((f) => f.reportId));
    for (const id of ids) {
      try {
        const length = model.descriptor.reportLength('feature', id);
        this.cache.set(key('feature', id), await this.options.transport.getFeatureReport(id, length));
      } catch {
        continue;
      }
    }
    for (const f of indexFields) {
      const r = this.cache.get(key('feature', f.reportId));
      if (!r) continue;
      try {
        // An index is a logical value: units inherited from an earlier item (APC) must not scale it.
        const index = readLogical(f, r);
        if (Number.isInteger(index) && index > 0 && index < 256 && !this.strings.has(index))
          this.strings.set(index, await this.options.transport.getString(index));
      } catch {
        continue;
      }
    }
  }

  private decode(model: UpsModel): UpsReading {
    return model.decode({ get: (type, id) => this.cache.get(key(type, id)) }, (index) => this.strings.get(index));
  }

  private onInput(report: Uint8Array): void {
    const model = this.model;
    if (!model) return;
    try {
      const id = model.descriptor.usesReportIds ? (report[0] ?? 0) : 0;
      const expected = model.descriptor.reportLength('input', id);
      if (expected === 0) throw new UpsguardError(ErrorCode.HidReportMalformed, `unknown input report ${id}`);
      this.cache.set(key('input', id), Uint8Array.from(report));
      for (const f of model.descriptor.fields) {
        if (f.type !== 'input' || f.reportId !== id) continue;
        const twin = model.descriptor.find(f.path, 'feature');
        const cached = twin && this.cache.get(key('feature', twin.reportId));
        // The cache mirrors the device, read-only fields included.
        if (twin && cached) setValue(twin, cached, readValue(f, report));
      }
      this.events.emit('reading', this.decode(model));
    } catch (err) {
      this.options.onBadReport?.(
        new UpsguardError(ErrorCode.HidReportMalformed, `dropped input report: ${errorMessage(err)}`, {
          bytes: Buffer.from(report).toString('hex'),
        }),
      );
    }
  }
}
