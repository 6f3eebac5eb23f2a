import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { readLogical, readValue, setValue, writeValue } from './hid/report-codec.js';
import type { ReportType } from './hid/types.js';
import { APC_USAGES, usageCode } from './hid/usage-tables.js';
import {
  createUpsModel,
  type CommandStep,
  type UpsCommand,
  type UpsModel,
  type UpsReading,
  type WritableVariable,
} from './pdc/index.js';
import { Listeners } from '../util/listeners.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { HidTransport } from './transport/hid-transport.js';
import type { SourceReading, UpsSource, UpsSourceEvents, UpsSourceInfo } from './ups-source.js';
import { systemClock, type Clock } from '../util/clock.js';

const sleepOn = (clock: Clock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.setTimeout(resolve, Math.max(0, ms)));

const key = (type: ReportType, id: number): string => `${type}:${id}`;

/** What `upsc` shows under driver.* for usbhid-ups of NUT 2.8.0 with default parameters. */
export function usbhidDriverVariables(subdriver: string): Record<string, string> {
  return {
    'driver.name': 'usbhid-ups',
    'driver.parameter.pollfreq': '30',
    'driver.parameter.pollinterval': '2',
    'driver.parameter.port': 'auto',
    'driver.parameter.synchronous': 'auto',
    'driver.version': '2.8.0',
    'driver.version.data': subdriver,
    'driver.version.internal': '0.47',
  };
}

/** DelayBeforeShutdown, and APC's APCDelayBeforeShutdown. */
const SHUTDOWN_DELAY_USAGES: ReadonlySet<number> = new Set([
  usageCode('DelayBeforeShutdown'),
  usageCode('APCDelayBeforeShutdown', APC_USAGES),
]);

export interface HidUpsReaderOptions {
  readonly transport: HidTransport;
  /** Driver-side delays (ups.delay.shutdown / ups.delay.start) when the config sets them. */
  readonly offDelayS?: number;
  readonly onDelayS?: number;
  readonly onListenerError?: (event: string, err: unknown) => void;
  /** Called once per malformed input report; the report is dropped and reading goes on. */
  readonly onBadReport?: (err: unknown) => void;
  /** A command's waits (between two writes of one command) run on it. */
  readonly clock?: Clock;
}

/**
 * The UPS reader: a HID device (any transport) as a UpsSource. It keeps the latest bytes of every report, merges
 * interrupt reports into them the way NUT does (an input field updates the same path's feature value), and decodes
 * through the Power Device Class model.
 *
 * Until a full read completes after the cache was emptied (first open, re-plug, a new descriptor), nothing is decoded
 * from input reports: they are held, a full read starts at once, and the inputs that came while it ran are applied
 * over it before the reading is emitted, so a partial decode never reaches the monitor and a change is never lost.
 * Commands run one at a time through a queue per device, and re-read the reports they wrote instead of emptying
 * the cache.
 */
export class HidUpsReader implements UpsSource {
  readonly events: Listeners<UpsSourceEvents>;
  private model: UpsModel | null = null;
  private modelHash = '';
  private readonly cache = new Map<string, Uint8Array>();
  private readonly strings = new Map<number, string | undefined>();
  private unsubscribe: (() => void)[] = [];
  /** The cache holds a full read made since it was last emptied. */
  private complete = false;
  /** Bumped whenever the cache is emptied, so a full read that straddles it does not count. */
  private epoch = 0;
  private fullRead: Promise<SourceReading> | null = null;
  /** Input reports that came while the cache was incomplete, to apply over the full read in order. */
  private held: Uint8Array[] = [];
  /** An input report is waiting for the full read in flight: emit its reading when it completes. */
  private emitAfterFull = false;
  private readonly queue = new SerialQueue();

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
        // Gone, or (re)connected, possibly after changes nobody saw (a re-plug, an agent restart): read in full first.
        this.resetCache();
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

  writableVariables(): readonly WritableVariable[] {
    return this.model?.writable ?? [];
  }

  /** NUT's driver.* variables as usbhid-ups (NUT 2.8.0) would publish them for this device. */
  driverVariables(): Readonly<Record<string, string>> {
    if (!this.model) return {};
    return usbhidDriverVariables(this.model.subdriver);
  }

  /** A device-backed writable variable (upsrw), through the same per-device queue as commands. */
  setVariable(name: string, value: string): Promise<void> {
    return this.queue.run(async () => {
      const model = await this.ensureModel();
      await this.runSteps(model, model.planSet(name, value));
    });
  }

  loadOffHonoursDelay(): boolean | null {
    const model = this.model;
    if (!model?.commands.includes('shutdown.return')) return model ? false : null;
    // A delay that reaches the device is a write to a shutdown-delay register; anything else cuts at once.
    return model
      .planCommand('shutdown.return', { offDelay: 120, onDelay: 240 })
      .some((s) => s.kind === 'write' && SHUTDOWN_DELAY_USAGES.has(s.field.usage));
  }

  async poll(kind: 'quick' | 'full'): Promise<SourceReading> {
    const model = await this.ensureModel();
    if (kind === 'full' || !this.complete) return this.readFull(model);
    await this.readReports(model, model.quickReports);
    return { ...this.decode(model), complete: true };
  }

  /** Commands to this device run one at a time, in the order given: each is a read-modify-write of a report. */
  command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number } = {}): Promise<void> {
    return this.queue.run(() => this.runCommand(cmd, opts));
  }

  private async runCommand(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number }): Promise<void> {
    const model = await this.ensureModel();
    const steps = model.planCommand(cmd, {
      offDelay: opts.offDelay ?? this.options.offDelayS,
      onDelay: opts.onDelay ?? this.options.onDelayS,
    });
    await this.runSteps(model, steps);
  }

  private async runSteps(model: UpsModel, steps: readonly CommandStep[]): Promise<void> {
    const written = new Map<number, Uint8Array>();
    for (const s of steps) {
      if (s.kind === 'wait') {
        await sleepOn(this.options.clock ?? systemClock, s.ms);
        continue;
      }
      const length = model.descriptor.reportLength('feature', s.field.reportId);
      // Other fields share the report: read it fresh and patch only ours.
      const report = Uint8Array.from(await this.options.transport.getFeatureReport(s.field.reportId, length));
      writeValue(s.field, report, s.value);
      await this.options.transport.sendFeatureReport(report);
      written.set(s.field.reportId, report);
    }
    // The cache stays whole (an emptied one would decode input reports against nothing): re-read what was written.
    for (const [id, report] of written) {
      const length = model.descriptor.reportLength('feature', id);
      try {
        this.cache.set(key('feature', id), await this.options.transport.getFeatureReport(id, length));
      } catch {
        this.cache.set(key('feature', id), report);
      }
    }
  }

  /** One full read at a time: a poll and an input report that both need one share it. */
  private readFull(model: UpsModel): Promise<SourceReading> {
    if (this.fullRead) return this.fullRead;
    const run = async (): Promise<SourceReading> => {
      // The cache may be emptied while this reads (a re-plug, an agent restart): then read again, from the start.
      for (let attempt = 0; ; attempt++) {
        const epoch = this.epoch;
        await this.readReports(model, model.fullReports);
        if (model !== this.model)
          throw new UpsguardError(ErrorCode.TransportClosed, 'the device changed during a full read');
        if (epoch === this.epoch) break;
        if (attempt >= 2 || !this.options.transport.isConnected()) {
          throw new UpsguardError(ErrorCode.TransportClosed, 'the device went away during a full read');
        }
      }
      this.complete = true;
      // Inputs held meanwhile (a change pushed at the re-plug, say mains back) are applied over it, in order, so the
      // change is not lost; a later one wins, as on the device.
      const held = this.held;
      this.held = [];
      for (const h of held) this.merge(model, h);
      return { ...this.decode(model), complete: true };
    };
    const p = run().finally(() => {
      if (this.fullRead === p) this.fullRead = null;
    });
    this.fullRead = p;
    return p;
  }

  private async readReports(model: UpsModel, refs: readonly { type: ReportType; reportId: number }[]): Promise<void> {
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
  }

  private resetCache(): void {
    this.cache.clear();
    this.complete = false;
    this.epoch++;
    this.held = [];
  }

  private async ensureModel(): Promise<UpsModel> {
    const t = this.options.transport;
    if (!t.isConnected()) {
      const why = t.lastProblem?.() ?? '';
      throw new UpsguardError(
        ErrorCode.TransportClosed,
        `UPS at ${t.info().location} is not connected${why ? `: ${why}` : ''}`,
      );
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
    this.resetCache();
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
      if (!this.complete) {
        // Nothing to decode against yet: hold it for the full read, and start that read now rather than at the poll.
        this.held.push(Uint8Array.from(report));
        if (this.emitAfterFull || !this.options.transport.isConnected()) return;
        this.emitAfterFull = true;
        this.readFull(model)
          .then(
            (r) => {
              this.events.emit('reading', r);
            },
            // A failed read leaves the inputs held for the next full read (the monitor's poll).
            () => undefined,
          )
          .finally(() => {
            this.emitAfterFull = false;
          });
        return;
      }
      this.merge(model, report);
      this.events.emit('reading', { ...this.decode(model), complete: true });
    } catch (err) {
      this.options.onBadReport?.(
        new UpsguardError(ErrorCode.HidReportMalformed, `dropped input report: ${errorMessage(err)}`, {
          bytes: Buffer.from(report).toString('hex'),
        }),
      );
    }
  }

  /** An input report into the cache, the way NUT does: each input field updates the same path's feature value. */
  private merge(model: UpsModel, report: Uint8Array): void {
    const id = model.descriptor.usesReportIds ? (report[0] ?? 0) : 0;
    this.cache.set(key('input', id), Uint8Array.from(report));
    for (const f of model.descriptor.fields) {
      if (f.type !== 'input' || f.reportId !== id) continue;
      const twin = model.descriptor.find(f.path, 'feature');
      const cached = twin && this.cache.get(key('feature', twin.reportId));
      // The cache mirrors the device, read-only fields included.
      if (twin && cached) setValue(twin, cached, readValue(f, report));
    }
  }
}
