import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { parseReportDescriptor } from '../../ups/hid/descriptor-parser.js';
import type { ReportDescriptor } from '../../ups/hid/types.js';
import { Listeners } from '../../util/listeners.js';
import type { ExportedDevice } from '../exported-device.js';
import type {
  UsbControlSetup,
  UsbDeviceDescription,
  UsbDeviceEvents,
  UsbRedirDevice,
  UsbTransferResult,
  UsbTransferStatus,
} from './usb-device.js';
import {
  CONFIGURATION_VALUE,
  DescriptorType,
  HID_INTERFACE_NUMBER,
  INTERRUPT_IN_ENDPOINT,
  buildDeviceDescriptor,
  buildHidConfigurationDescriptor,
  buildHidDescriptor,
  buildLanguageDescriptor,
  buildStringDescriptor,
  type UsbDescriptorSet,
} from './usb-descriptors.js';
import {
  FeatureSelector,
  HidReportType,
  HidRequest,
  StandardRequest,
  decodeSetup,
  truncateTo,
} from './usb-requests.js';

export interface HidUsbDeviceOptions {
  readonly device: ExportedDevice;
  readonly log: Logger;
  /** bcdDevice: the HID seam does not carry the real one. */
  readonly deviceVersionBcd?: number;
  /** bInterval of endpoint 0x81, ms. Real UPSes use 10 (CyberPower) to 100 (some APC). */
  readonly interruptIntervalMs?: number;
}

/** String indexes tried at attach to find where the device keeps its manufacturer, product and serial. */
const PROBED_STRING_INDEXES = [1, 2, 3, 4, 5, 6, 7, 8];
const FULL_SPEED_MAX_INTERRUPT_PACKET = 64;
const HID_VERSION = 0x0111;
/** As real UPSes report themselves: self-powered, 2 mA from the bus (CyberPower CP1500, APC Smart-UPS). */
const MAX_POWER_MA = 2;

interface Built {
  readonly set: UsbDescriptorSet;
  readonly report: ReportDescriptor;
  readonly description: UsbDeviceDescription;
  readonly interruptMaxPacket: number;
  readonly strings: ReadonlyMap<number, string>;
}

const ok = (data: Uint8Array = new Uint8Array(0)): UsbTransferResult => ({ status: 'success', data });
const STALL: UsbTransferResult = { status: 'stall' };
const IOERROR: UsbTransferResult = { status: 'ioerror' };

/** A transport failure as the status a real device's pipe would show. */
export function transferStatusOf(err: unknown): Exclude<UsbTransferStatus, 'success'> {
  if (err instanceof UpsguardError) {
    if (err.code === ErrorCode.TransportTimeout) return 'timeout';
    if (err.code === ErrorCode.TransportClosed) return 'ioerror';
  }
  // The device refused the request (an unknown report, a short write): a real HID device stalls the pipe.
  return 'stall';
}

/**
 * The exported UPS as a whole USB device: the descriptors a HID UPS presents, built from its real report descriptor,
 * and its control and interrupt pipes answered through the agent's ExportedDevice (so claims, caching and the write
 * allow-list stay the relay's). Control IN answers are cut to wLength; a shorter answer is a short packet. Input
 * reports go out on 0x81 only while configured and the endpoint is not halted, as a real device's would; SET_IDLE is
 * remembered and answered but reports still go out on change only, as UPS firmware sends them.
 */
export class HidUsbDevice implements UsbRedirDevice {
  readonly events: Listeners<UsbDeviceEvents>;
  private built: Built | null = null;
  /** Bumped on every plug change, so a descriptor build that finishes after an unplug is dropped. */
  private generation = 0;
  private configuration = 0;
  private halted = false;
  private readonly idle = new Map<number, number>();
  private protocol = 1;
  private readonly lastInput = new Map<number, Uint8Array>();
  private receiver: ((result: UsbTransferResult) => void) | null = null;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly options: HidUsbDeviceOptions) {
    this.events = new Listeners<UsbDeviceEvents>((event, err) => {
      options.log.error({ device: this.name, event, err: errorMessage(err) }, 'usb device listener failed');
    });
  }

  get name(): string {
    return this.options.device.name;
  }

  /** Follows the exported device; if it is already open, describes it now (and emits connect). */
  async start(): Promise<void> {
    const d = this.options.device;
    this.unsubscribe.push(
      d.events.on('input', (input) => this.onInput(input.bytes)),
      d.events.on('plug', (kind, reason) => {
        if (kind === 'detached') this.onDetached(reason);
        else void this.describe();
      }),
    );
    if (d.isConnected()) await this.describe();
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    this.receiver = null;
  }

  isConnected(): boolean {
    return this.built !== null && this.options.device.isConnected();
  }

  description(): UsbDeviceDescription {
    if (!this.built) throw new UpsguardError(ErrorCode.TransportClosed, `${this.name} is not connected`);
    return this.built.description;
  }

  /** Every descriptor as the guest reads it, or null while disconnected. */
  descriptors(): UsbDescriptorSet | null {
    return this.built?.set ?? null;
  }

  getConfiguration(): number {
    return this.configuration;
  }

  /** One interface with one setting: always 0. */
  getAltSetting(_interfaceNumber: number): number {
    return 0;
  }

  setConfiguration(configuration: number): Promise<UsbTransferStatus> {
    if (!this.isConnected()) return Promise.resolve('ioerror');
    if (configuration !== 0 && configuration !== CONFIGURATION_VALUE) return Promise.resolve('stall');
    this.configuration = configuration;
    this.halted = false;
    return Promise.resolve('success');
  }

  setAltSetting(interfaceNumber: number, alt: number): Promise<UsbTransferStatus> {
    if (!this.isConnected()) return Promise.resolve('ioerror');
    if (interfaceNumber !== HID_INTERFACE_NUMBER || alt !== 0 || this.configuration === 0) {
      return Promise.resolve('stall');
    }
    this.halted = false;
    return Promise.resolve('success');
  }

  /** A HID UPS has no bulk endpoints. */
  bulk(_endpoint: number, _data: Uint8Array, _length: number): Promise<UsbTransferResult> {
    return Promise.resolve(this.isConnected() ? STALL : IOERROR);
  }

  /** Nor an interrupt OUT endpoint: output reports, where a UPS has any, go through SET_REPORT on ep0. */
  interruptOut(_endpoint: number, _data: Uint8Array): Promise<UsbTransferStatus> {
    return Promise.resolve(this.isConnected() ? 'stall' : 'ioerror');
  }

  startInterruptIn(endpoint: number, onPacket: (result: UsbTransferResult) => void): () => void {
    if (endpoint !== INTERRUPT_IN_ENDPOINT) {
      queueMicrotask(() => onPacket(STALL));
      return () => undefined;
    }
    this.receiver = onPacket;
    return () => {
      if (this.receiver === onPacket) this.receiver = null;
    };
  }

  reset(): Promise<void> {
    // A port reset returns the device to its default state (USB 2.0 §9.1.1.3); the exported UPS itself stays open.
    this.resetState();
    return Promise.resolve();
  }

  async control(setup: UsbControlSetup, data: Uint8Array): Promise<UsbTransferResult> {
    const built = this.built;
    if (!built || !this.options.device.isConnected()) return IOERROR;
    try {
      const s = decodeSetup(setup);
      const answer =
        s.kind === 'standard'
          ? this.standard(built, setup, s.in, s.recipient)
          : s.kind === 'class' && s.recipient === 'interface' && setup.index === HID_INTERFACE_NUMBER
            ? await this.hidClass(built, setup, s.in, data)
            : STALL;
      if (answer.status === 'success' && s.in) return ok(truncateTo(answer.data, setup.length));
      return answer;
    } catch (err) {
      this.options.log.warn({ device: this.name, setup, err: errorMessage(err) }, 'usb control request failed');
      return { status: transferStatusOf(err) };
    }
  }

  private standard(built: Built, setup: UsbControlSetup, isIn: boolean, recipient: string): UsbTransferResult {
    const key = `${recipient}:${setup.request}:${isIn ? 'in' : 'out'}`;
    switch (key) {
      case `device:${StandardRequest.GetDescriptor}:in`:
        return this.deviceDescriptor(built, setup.value >> 8, setup.value & 0xff);
      case `interface:${StandardRequest.GetDescriptor}:in`:
        if (setup.index !== HID_INTERFACE_NUMBER) return STALL;
        if (setup.value >> 8 === DescriptorType.Hid)
          return ok(buildHidDescriptor(HID_VERSION, built.set.report.length));
        if (setup.value >> 8 === DescriptorType.Report) return ok(built.set.report);
        return STALL;
      case `device:${StandardRequest.GetStatus}:in`:
        return ok(Uint8Array.of(1, 0)); // self-powered, remote wakeup off
      case `interface:${StandardRequest.GetStatus}:in`:
        return setup.index === HID_INTERFACE_NUMBER && this.configuration !== 0 ? ok(Uint8Array.of(0, 0)) : STALL;
      case `endpoint:${StandardRequest.GetStatus}:in`:
        if ((setup.index & 0x7f) === 0) return ok(Uint8Array.of(0, 0));
        return setup.index === INTERRUPT_IN_ENDPOINT && this.configuration !== 0
          ? ok(Uint8Array.of(this.halted ? 1 : 0, 0))
          : STALL;
      case `endpoint:${StandardRequest.ClearFeature}:out`:
      case `endpoint:${StandardRequest.SetFeature}:out`:
        return this.endpointHalt(setup, setup.request === StandardRequest.SetFeature);
      case `device:${StandardRequest.SetAddress}:out`:
        return setup.value <= 127 ? ok() : STALL;
      case `device:${StandardRequest.GetConfiguration}:in`:
        return ok(Uint8Array.of(this.configuration));
      case `device:${StandardRequest.SetConfiguration}:out`:
        if (setup.value !== 0 && setup.value !== CONFIGURATION_VALUE) return STALL;
        this.configuration = setup.value;
        this.halted = false;
        return ok();
      case `interface:${StandardRequest.GetInterface}:in`:
        return setup.index === HID_INTERFACE_NUMBER && this.configuration !== 0 ? ok(Uint8Array.of(0)) : STALL;
      case `interface:${StandardRequest.SetInterface}:out`:
        if (setup.index !== HID_INTERFACE_NUMBER || setup.value !== 0 || this.configuration === 0) return STALL;
        this.halted = false;
        return ok();
      default:
        // Remote wakeup (not offered), SET_DESCRIPTOR, SYNCH_FRAME, test modes: a request error, as the spec says.
        return STALL;
    }
  }

  private deviceDescriptor(built: Built, type: number, index: number): UsbTransferResult {
    if (type === DescriptorType.Device && index === 0) return ok(built.set.device);
    if (type === DescriptorType.Configuration && index === 0) return ok(built.set.configuration);
    if (type === DescriptorType.String) {
      const bytes = built.set.strings.get(index);
      return bytes ? ok(bytes) : STALL;
    }
    // A full-speed-only device answers DEVICE_QUALIFIER and OTHER_SPEED_CONFIGURATION with a stall (USB 2.0 §9.6.2).
    return STALL;
  }

  private endpointHalt(setup: UsbControlSetup, set: boolean): UsbTransferResult {
    if (setup.value !== FeatureSelector.EndpointHalt) return STALL;
    if ((setup.index & 0x7f) === 0) return ok(); // ep0 clears itself on the next SETUP
    if (setup.index !== INTERRUPT_IN_ENDPOINT || this.configuration === 0) return STALL;
    this.halted = set;
    return ok();
  }

  private async hidClass(built: Built, setup: UsbControlSetup, isIn: boolean, data: Uint8Array) {
    const reportId = setup.value & 0xff;
    const reportType = setup.value >> 8;
    switch (`${setup.request}:${isIn ? 'in' : 'out'}`) {
      case `${HidRequest.GetReport}:in`:
        return this.getReport(built, reportType, reportId);
      case `${HidRequest.SetReport}:out`:
        return this.setReport(built, reportType, reportId, data);
      case `${HidRequest.GetIdle}:in`:
        return ok(Uint8Array.of(this.idle.get(reportId) ?? this.idle.get(0) ?? 0));
      case `${HidRequest.SetIdle}:out`:
        if (reportId === 0) this.idle.clear();
        this.idle.set(reportId, setup.value >> 8);
        return ok();
      case `${HidRequest.GetProtocol}:in`:
        return ok(Uint8Array.of(this.protocol));
      case `${HidRequest.SetProtocol}:out`:
        if (setup.value > 1) return STALL;
        this.protocol = setup.value;
        return ok();
      default:
        return STALL;
    }
  }

  private async getReport(built: Built, type: number, reportId: number): Promise<UsbTransferResult> {
    const r = built.report;
    if (r.usesReportIds ? reportId === 0 : reportId !== 0) return STALL;
    if (type === HidReportType.Feature) {
      const length = r.reportLength('feature', reportId);
      if (length === 0) return STALL;
      return ok(await this.options.device.getFeature(reportId, length));
    }
    if (type === HidReportType.Input) {
      if (r.reportLength('input', reportId) === 0) return STALL;
      const last = this.lastInput.get(reportId);
      if (last) return ok(last);
      // Nothing sent on the interrupt pipe yet: a UPS keeps the same fields in the feature report of that ID.
      const featureLength = r.reportLength('feature', reportId);
      if (featureLength !== r.reportLength('input', reportId)) return STALL;
      return ok(await this.options.device.getFeature(reportId, featureLength));
    }
    // Output reports cannot be read back through the HID seam.
    return STALL;
  }

  private async setReport(built: Built, type: number, reportId: number, data: Uint8Array): Promise<UsbTransferResult> {
    const r = built.report;
    // Only feature writes pass the HID seam; output reports (which UPSes rarely have) are refused alike.
    if (type !== HidReportType.Feature) return STALL;
    if (r.usesReportIds ? reportId === 0 || data[0] !== reportId : reportId !== 0) return STALL;
    const length = r.reportLength('feature', reportId);
    if (length === 0 || data.length !== length) return STALL;
    if (!this.options.device.canWrite(reportId)) {
      this.options.log.warn({ device: this.name, reportId }, 'usb SET_REPORT refused: not an allow-listed report');
      return STALL;
    }
    // The HID layer's reports are the wire's: the ID byte first only when the descriptor uses IDs.
    await this.options.device.setFeature(Uint8Array.from(data));
    return ok();
  }

  private onInput(bytes: Uint8Array): void {
    const built = this.built;
    if (!built || bytes.length === 0) return;
    const reportId = built.report.usesReportIds ? bytes[0]! : 0;
    this.lastInput.set(reportId, Uint8Array.from(bytes));
    const receiver = this.receiver;
    if (!receiver || this.configuration === 0 || this.halted) return;
    // A report longer than the endpoint's packet goes out as several packets, the last one short (or full).
    for (let at = 0; at < bytes.length; at += built.interruptMaxPacket) {
      receiver(ok(Uint8Array.from(bytes.subarray(at, at + built.interruptMaxPacket))));
    }
  }

  private onDetached(reason: string): void {
    this.generation++;
    const was = this.built !== null;
    this.built = null;
    this.resetState();
    this.receiver = null;
    if (was) this.events.emit('disconnect', reason);
  }

  private resetState(): void {
    this.configuration = 0;
    this.halted = false;
    this.idle.clear();
    this.protocol = 1;
  }

  private async describe(): Promise<void> {
    const generation = ++this.generation;
    const d = this.options.device;
    try {
      const descriptor = d.lastDescriptor();
      if (!descriptor) throw new UpsguardError(ErrorCode.TransportClosed, 'no report descriptor read yet');
      const report = parseReportDescriptor(descriptor.bytes);
      const strings = await this.readStrings();
      if (generation !== this.generation) return;
      const wasConnected = this.built !== null;
      this.built = this.build(report, strings);
      this.resetState();
      this.lastInput.clear();
      if (wasConnected) this.events.emit('disconnect', 'device re-described');
      this.events.emit('connect');
    } catch (err) {
      this.options.log.warn({ device: this.name, err: errorMessage(err) }, 'cannot describe the device for usbredir');
    }
  }

  /**
   * The strings at the device's own indexes: HID Power Device feature reports (iProduct, iSerialNumber,
   * iDeviceChemistry, iManufacturer) hold string indexes a host reads with GET_DESCRIPTOR, so they must not move.
   * The manufacturer, product and serial the transport knows get an index of their own only if no probed one holds them.
   */
  private async readStrings(): Promise<Map<number, string>> {
    const d = this.options.device;
    const strings = new Map<number, string>();
    for (const index of PROBED_STRING_INDEXES) {
      try {
        const s = await d.getString(index);
        if (s !== undefined && s !== '') strings.set(index, s);
      } catch {
        // A string the device cannot give is one it does not have.
      }
    }
    const info = d.info();
    for (const text of [info.manufacturer, info.product, info.serial]) {
      if (text === undefined || text === '' || [...strings.values()].includes(text)) continue;
      let free = 1;
      while (strings.has(free)) free++;
      strings.set(free, text);
    }
    return strings;
  }

  private build(report: ReportDescriptor, strings: ReadonlyMap<number, string>): Built {
    const d = this.options.device;
    const info = d.info();
    const indexOf = (text: string | undefined): number => {
      if (text === undefined || text === '') return 0;
      for (const [i, s] of strings) if (s === text) return i;
      return 0;
    };
    const largestInput = Math.max(1, ...report.reportIds('input').map((id) => report.reportLength('input', id)));
    const interruptMaxPacket = Math.min(FULL_SPEED_MAX_INTERRUPT_PACKET, largestInput);
    const interval = this.options.interruptIntervalMs ?? 10;
    const encoded = new Map<number, Uint8Array>([[0, buildLanguageDescriptor()]]);
    for (const [i, s] of strings) encoded.set(i, buildStringDescriptor(s));
    const set: UsbDescriptorSet = {
      device: buildDeviceDescriptor({
        usbVersionBcd: 0x0200,
        maxPacketSize0: 64,
        vendorId: info.vendorId,
        productId: info.productId,
        deviceVersionBcd: this.options.deviceVersionBcd ?? 0x0100,
        manufacturerIndex: indexOf(info.manufacturer),
        productIndex: indexOf(info.product),
        serialIndex: indexOf(info.serial),
      }),
      configuration: buildHidConfigurationDescriptor({
        reportDescriptorLength: report.bytes.length,
        interruptMaxPacketSize: interruptMaxPacket,
        interruptIntervalMs: interval,
        selfPowered: true,
        remoteWakeup: false,
        maxPowerMa: MAX_POWER_MA,
        hidVersionBcd: HID_VERSION,
      }),
      report: Uint8Array.from(report.bytes),
      strings: encoded,
    };
    return {
      set,
      report,
      interruptMaxPacket,
      strings,
      description: {
        speed: 'full',
        deviceClass: 0,
        deviceSubclass: 0,
        deviceProtocol: 0,
        vendorId: info.vendorId,
        productId: info.productId,
        deviceVersionBcd: this.options.deviceVersionBcd ?? 0x0100,
        interfaces: [{ number: HID_INTERFACE_NUMBER, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 }],
        endpoints: [
          {
            address: INTERRUPT_IN_ENDPOINT,
            type: 'interrupt',
            interval,
            interfaceNumber: HID_INTERFACE_NUMBER,
            maxPacketSize: interruptMaxPacket,
          },
        ],
      },
    };
  }
}
