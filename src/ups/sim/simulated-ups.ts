import { ErrorCode, UpsguardError } from '../../errors.js';
import { emptyReport, readValue, setValue } from '../hid/report-codec.js';
import type { HidField, ReportDescriptor, ReportType } from '../hid/types.js';
import { createUpsModel } from '../pdc/index.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { Listeners } from '../../util/listeners.js';
import {
  defaultBatteryParams,
  initialBatteryState,
  isDischarging,
  runtimeLeftS,
  step,
  type BatteryModelParams,
  type BatteryState,
} from './battery-model.js';
import { findFieldRoles, type FieldRoles } from './field-roles.js';
import type { RecordedDevice } from './recorded-device.js';
import { recordedDevices } from './recorded-devices.js';
import { dueSteps, type Scenario, type ScenarioAction } from './scenario.js';

export interface SimulatedUpsOptions {
  readonly device: RecordedDevice;
  readonly scenario: Scenario;
  /** Model seconds per wall second. */
  readonly timeScale: number;
  readonly clock: Clock;
  /** Wall milliseconds between model steps. */
  readonly tickMs?: number;
  readonly params?: Partial<BatteryModelParams>;
}

export type SimulatedUpsEvents = {
  input: [report: Uint8Array];
  /** The device left the USB bus or came back (scenario `unplug` / `replug`). */
  usb: [plugged: boolean];
  /** A scenario step was applied, at this model time. */
  step: [action: ScenarioAction, modelTimeS: number];
  state: [state: Readonly<BatteryState>, modelTimeS: number];
};

const TEST_IN_PROGRESS = 5;
const TEST_PASSED = 1;
const TEST_DURATION_S = 10;

export function findRecordedDevice(name: string): RecordedDevice {
  const d = recordedDevices.find((r) => r.name === name);
  if (!d) {
    throw new UpsguardError(
      ErrorCode.DeviceNotFound,
      `no recorded UPS named ${JSON.stringify(name)}; known: ${recordedDevices.map((r) => r.name).join(', ')}`,
    );
  }
  return d;
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.trim().split(/\s+/), (b) => parseInt(b, 16));
}

const key = (type: ReportType, id: number): string => `${type}:${id}`;

/**
 * A UPS that answers a real device's feature and input reports from a battery model. It is a product part (the
 * demo, the relay's --simulate, tests): it behaves as the recorded device does on its interrupt pipe, pushing an
 * input report whenever one changes, and it acts on the delay and test writes a real UPS acts on.
 */
export class SimulatedUps {
  readonly events = new Listeners<SimulatedUpsEvents>();
  readonly descriptorBytes: Uint8Array;
  readonly device: RecordedDevice;
  private readonly descriptor: ReportDescriptor;
  private readonly roles: FieldRoles;
  private readonly params: BatteryModelParams;
  private readonly reports = new Map<string, Uint8Array>();
  private readonly lastPushed = new Map<number, string>();
  private battery: BatteryState;
  private modelTimeS = 0;
  private lastTickAt = 0;
  private timer: TimerHandle | null = null;
  private testEndsAtS: number | null = null;
  private chargeLowPct = 10;
  private runtimeLowS = 120;
  private nominal = { battery: 12, input: 230, output: 230 };

  constructor(private readonly options: SimulatedUpsOptions) {
    this.device = options.device;
    this.descriptorBytes = hexBytes(options.device.descriptorHex);
    const model = createUpsModel(this.descriptorBytes, {
      vendorId: options.device.vendorId,
      productId: options.device.productId,
    });
    this.descriptor = model.descriptor;
    this.roles = findFieldRoles(this.descriptor);
    this.params = { ...defaultBatteryParams, ...options.params };
    this.loadRecordedReports();
    this.battery = initialBatteryState();
    this.readDeviceLimits();
    for (const s of options.scenario.steps) if (s.atS === 0) this.apply(s.action);
    this.render();
    this.rememberPushed();
  }

  get state(): Readonly<BatteryState> {
    return this.battery;
  }

  get modelTime(): number {
    return this.modelTimeS;
  }

  start(): void {
    if (this.timer) return;
    this.lastTickAt = this.options.clock.now();
    this.schedule();
  }

  stop(): void {
    if (this.timer) this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  getString(index: number): string | undefined {
    return this.device.strings[String(index)];
  }

  getReport(type: ReportType, reportId: number): Uint8Array | undefined {
    const r = this.reports.get(key(type, reportId));
    return r ? Uint8Array.from(r) : undefined;
  }

  /** A SET_REPORT(Feature) from the host: stored, then acted on as the UPS would. */
  writeFeatureReport(data: Uint8Array): void {
    const reportId = this.descriptor.usesReportIds ? (data[0] ?? 0) : 0;
    const expected = this.descriptor.reportLength('feature', reportId);
    if (expected === 0) {
      throw new UpsguardError(ErrorCode.HidReportMalformed, `no feature report ${reportId} on this device`);
    }
    if (data.length < expected) {
      throw new UpsguardError(
        ErrorCode.HidReportMalformed,
        `feature report ${reportId} is ${data.length} bytes, the device expects ${expected}`,
      );
    }
    const written = Uint8Array.from(data.subarray(0, expected));
    this.reports.set(key('feature', reportId), written);
    const inReport = (fields: HidField[]): HidField | undefined =>
      fields.find((f) => f.type === 'feature' && f.reportId === reportId);
    const shutdown = inReport(this.roles.delayShutdown);
    const startup = inReport(this.roles.delayStartup);
    const reboot = inReport(this.roles.delayReboot);
    const test = inReport(this.roles.test);
    const apcReboot = inReport(this.roles.apcDelayBeforeReboot);
    if (startup) {
      const v = readValue(startup, written);
      this.battery.startupTimerS = v < 0 ? null : v;
    }
    if (shutdown) {
      const v = readValue(shutdown, written);
      if (v < 0) {
        this.battery.shutdownTimerS = null;
        this.battery.restartPending = false;
      } else {
        this.battery.shutdownTimerS = v;
      }
    }
    if (reboot) {
      const v = readValue(reboot, written);
      if (v >= 0) {
        this.battery.shutdownTimerS = v;
        this.battery.startupTimerS ??= 0;
      }
    }
    if (apcReboot) {
      // APC Back-UPS's native shutdown.return: the output goes off after the written seconds and, the unit ignoring
      // any start delay (NUT #1307), comes back as soon as mains is present. [unverified against a real unit]
      const v = readValue(apcReboot, written);
      if (v > 0) {
        this.battery.shutdownTimerS = v;
        this.battery.startupTimerS = 0;
      }
    }
    if (test) {
      const v = readValue(test, written);
      if (v === 1 || v === 2) this.testEndsAtS = this.modelTimeS + TEST_DURATION_S;
    }
    this.render();
    this.pushChangedInputs();
  }

  setMains(on: boolean): void {
    this.apply({ kind: 'mains', on });
    this.render();
    this.pushChangedInputs();
  }

  setLoad(pct: number): void {
    this.apply({ kind: 'load', pct });
    this.render();
    this.pushChangedInputs();
  }

  /** Advances model time by `dtS` seconds, applying scenario steps on the way. */
  advance(dtS: number): void {
    const from = this.modelTimeS;
    const to = from + dtS;
    let t = from;
    for (const s of dueSteps(this.options.scenario, from, to)) {
      this.battery = step(this.params, this.battery, s.atS - t);
      t = s.atS;
      this.modelTimeS = t;
      this.apply(s.action);
    }
    this.battery = step(this.params, this.battery, to - t);
    this.modelTimeS = to;
    if (this.testEndsAtS !== null && to >= this.testEndsAtS) this.testEndsAtS = null;
    this.render();
    this.pushChangedInputs();
    this.events.emit('state', this.battery, this.modelTimeS);
  }

  private schedule(): void {
    const tickMs = this.options.tickMs ?? 250;
    this.timer = this.options.clock.setTimeout(() => {
      const now = this.options.clock.now();
      const dtS = ((now - this.lastTickAt) / 1000) * this.options.timeScale;
      this.lastTickAt = now;
      this.advance(dtS);
      if (this.timer) this.schedule();
    }, tickMs);
  }

  private apply(action: ScenarioAction): void {
    switch (action.kind) {
      case 'mains':
        this.battery.mains = action.on;
        break;
      case 'load':
        this.battery.loadPct = action.pct;
        break;
      case 'health':
        this.battery.health = action.pct / 100;
        break;
      case 'usb':
        this.events.emit('usb', action.plugged);
        break;
      case 'loop':
        break;
    }
    this.events.emit('step', action, this.modelTimeS);
  }

  private loadRecordedReports(): void {
    for (const type of ['feature', 'input', 'output'] as const) {
      for (const id of this.descriptor.reportIds(type)) {
        this.reports.set(key(type, id), emptyReport(this.descriptor, type, id));
      }
    }
    for (const type of ['feature', 'input'] as const) {
      for (const [id, hex] of Object.entries(this.device.reports[type])) {
        const k = key(type, Number(id));
        const blank = this.reports.get(k);
        if (!blank) continue;
        const bytes = hexBytes(hex);
        blank.set(bytes.subarray(0, blank.length));
      }
    }
    // A device answers GET_REPORT(Input) with the same data its feature twin holds, where the fixture lacks it.
    for (const id of this.descriptor.reportIds('input')) {
      if (
        this.device.reports.input[String(id)] === undefined &&
        this.device.reports.feature[String(id)] !== undefined
      ) {
        const src = hexBytes(this.device.reports.feature[String(id)]!);
        const dst = this.reports.get(key('input', id))!;
        if (src.length === dst.length) dst.set(src);
      }
    }
  }

  private readFirst(fields: HidField[]): number | undefined {
    for (const f of fields) {
      const r = this.reports.get(key(f.type, f.reportId));
      if (!r) continue;
      try {
        return readValue(f, r);
      } catch {
        continue;
      }
    }
    return undefined;
  }

  private readDeviceLimits(): void {
    this.chargeLowPct = this.readFirst(this.roles.chargeLimit) ?? this.chargeLowPct;
    this.runtimeLowS = this.readFirst(this.roles.runtimeLimit) ?? this.runtimeLowS;
    const batteryNominal = this.readFirst(this.roles.batteryNominal);
    if (batteryNominal !== undefined && batteryNominal > 0) this.nominal.battery = batteryNominal;
    const input = this.readFirst(this.roles.inputVoltage);
    if (input !== undefined && input > 0) this.nominal.input = input;
    const output = this.readFirst(this.roles.outputVoltage);
    if (output !== undefined && output > 0) this.nominal.output = output;
  }

  private set(fields: HidField[], value: number): void {
    for (const f of fields) {
      const r = this.reports.get(key(f.type, f.reportId));
      if (!r) continue;
      const clamped = Math.round(value);
      setValue(f, r, Number.isFinite(clamped) ? clamped : 0);
    }
  }

  private setReal(fields: HidField[], value: number): void {
    for (const f of fields) {
      const r = this.reports.get(key(f.type, f.reportId));
      if (r) setValue(f, r, value);
    }
  }

  /** Encodes the model's state into every driven field. */
  private render(): void {
    const b = this.battery;
    const chargePct = Math.round(b.charge * 100);
    const runtime = runtimeLeftS(this.params, b);
    const discharging = isDischarging(b);
    const low = chargePct <= this.chargeLowPct || runtime <= this.runtimeLowS;
    this.set(this.roles.charge, chargePct);
    this.set(this.roles.runtime, runtime);
    this.set(this.roles.acPresent, b.mains ? 1 : 0);
    this.set(this.roles.charging, b.mains && chargePct < 100 ? 1 : 0);
    this.set(this.roles.discharging, discharging ? 1 : 0);
    this.set(this.roles.fullyCharged, chargePct >= 100 ? 1 : 0);
    this.set(this.roles.fullyDischarged, chargePct <= 0 ? 1 : 0);
    this.set(this.roles.belowLimit, low && !b.mains ? 1 : 0);
    this.set(this.roles.timeLimitExpired, runtime <= this.runtimeLowS && !b.mains ? 1 : 0);
    this.set(this.roles.needReplacement, b.health < 0.5 ? 1 : 0);
    this.set(this.roles.good, b.outputOn ? 1 : 0);
    this.set(this.roles.overload, b.loadPct > 100 ? 1 : 0);
    this.set(this.roles.shutdownImminent, b.shutdownTimerS !== null && b.shutdownTimerS <= 30 ? 1 : 0);
    this.set(this.roles.apcStatusFlag, b.outputOn ? 8 : 0);
    this.set(this.roles.load, b.outputOn ? b.loadPct : 0);
    const batteryV = b.mains ? this.nominal.battery * 1.13 : this.nominal.battery * (0.9 + 0.2 * b.charge);
    this.setReal(this.roles.batteryVoltage, Math.round(batteryV * 100) / 100);
    this.set(this.roles.inputVoltage, b.mains ? this.nominal.input : 0);
    this.set(this.roles.outputVoltage, b.outputOn ? this.nominal.output : 0);
    this.set(this.roles.delayShutdown, b.shutdownTimerS === null ? -1 : Math.ceil(b.shutdownTimerS));
    this.set(
      this.roles.delayStartup,
      b.startupTimerS === null || (!b.restartPending && b.shutdownTimerS === null) ? -1 : Math.ceil(b.startupTimerS),
    );
    if (this.testEndsAtS !== null) this.set(this.roles.test, TEST_IN_PROGRESS);
    else if (this.readFirst(this.roles.test) === TEST_IN_PROGRESS) this.set(this.roles.test, TEST_PASSED);
  }

  private rememberPushed(): void {
    for (const id of this.descriptor.reportIds('input')) {
      const r = this.reports.get(key('input', id));
      if (r) this.lastPushed.set(id, Buffer.from(r).toString('hex'));
    }
  }

  private pushChangedInputs(): void {
    for (const id of this.descriptor.reportIds('input')) {
      const r = this.reports.get(key('input', id));
      if (!r) continue;
      const hex = Buffer.from(r).toString('hex');
      if (this.lastPushed.get(id) === hex) continue;
      this.lastPushed.set(id, hex);
      this.events.emit('input', Uint8Array.from(r));
    }
  }
}
