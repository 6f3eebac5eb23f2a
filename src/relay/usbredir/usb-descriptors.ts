import { ErrorCode, UpsguardError } from '../../errors.js';

/**
 * Pure builders of the standard USB descriptors (USB 2.0 §9.6) and the HID class descriptor (HID 1.11 §6.2.1) of a
 * one-interface HID device, as a UPS presents itself. Every number is validated, so a bad value cannot reach a
 * guest's descriptor parser as a silently wrapped byte.
 */

export const DescriptorType = {
  Device: 0x01,
  Configuration: 0x02,
  String: 0x03,
  Interface: 0x04,
  Endpoint: 0x05,
  DeviceQualifier: 0x06,
  OtherSpeedConfiguration: 0x07,
  Hid: 0x21,
  Report: 0x22,
} as const;

export const USB_CLASS_HID = 0x03;
/** US English: the one language UPS firmware offers. */
export const LANGUAGE_EN_US = 0x0409;
/** A string descriptor's bLength is one byte: (255 - 2) / 2 UTF-16 code units at most. */
export const MAX_STRING_CODE_UNITS = 126;

const DEVICE_LENGTH = 18;
const CONFIGURATION_LENGTH = 9;
const INTERFACE_LENGTH = 9;
const HID_LENGTH = 9;
const ENDPOINT_LENGTH = 7;
const ENDPOINT_TYPE_INTERRUPT = 0x03;
/** bmAttributes bit 7 is reserved and must be set (USB 2.0 §9.6.3). */
const CONFIG_ATTR_RESERVED = 0x80;
const CONFIG_ATTR_SELF_POWERED = 0x40;
const CONFIG_ATTR_REMOTE_WAKEUP = 0x20;

function invalid(what: string): never {
  throw new UpsguardError(ErrorCode.UsbRedirRefused, `cannot describe the USB device: ${what}`);
}

function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) invalid(`${name} ${value} is outside ${min}..${max}`);
  return value;
}

const u8 = (name: string, v: number): number => checkInt(name, v, 0, 0xff);
const u16 = (name: string, v: number): number => checkInt(name, v, 0, 0xffff);

function bcd(name: string, v: number): number {
  u16(name, v);
  for (let shift = 0; shift < 16; shift += 4)
    if (((v >> shift) & 0xf) > 9) invalid(`${name} 0x${v.toString(16)} is not BCD`);
  return v;
}

function le16(v: number): [number, number] {
  return [v & 0xff, v >> 8];
}

export interface DeviceDescriptorFields {
  /** 0x0110 or 0x0200: a full-speed device may claim either. */
  readonly usbVersionBcd: 0x0110 | 0x0200;
  /** Endpoint 0's packet size: 8 (as APC Back-UPS) or 64 (as CyberPower, APC Smart-UPS). */
  readonly maxPacketSize0: 8 | 16 | 32 | 64;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionBcd: number;
  /** String indexes, 0 when the device has no such string. */
  readonly manufacturerIndex: number;
  readonly productIndex: number;
  readonly serialIndex: number;
}

export function buildDeviceDescriptor(f: DeviceDescriptorFields): Uint8Array {
  // The types say so, but a caller's values may come from a config file or a real device.
  if (![0x0110, 0x0200].includes(f.usbVersionBcd)) invalid(`bcdUSB 0x${f.usbVersionBcd.toString(16)}`);
  if (![8, 16, 32, 64].includes(f.maxPacketSize0)) invalid(`bMaxPacketSize0 ${f.maxPacketSize0}`);
  return Uint8Array.from([
    DEVICE_LENGTH,
    DescriptorType.Device,
    ...le16(f.usbVersionBcd),
    0, // class, subclass, protocol: defined at the interface
    0,
    0,
    f.maxPacketSize0,
    ...le16(u16('idVendor', f.vendorId)),
    ...le16(u16('idProduct', f.productId)),
    ...le16(bcd('bcdDevice', f.deviceVersionBcd)),
    u8('iManufacturer', f.manufacturerIndex),
    u8('iProduct', f.productIndex),
    u8('iSerialNumber', f.serialIndex),
    1, // bNumConfigurations
  ]);
}

export interface HidConfigurationFields {
  readonly reportDescriptorLength: number;
  /** wMaxPacketSize of the interrupt IN endpoint 0x81: 1..64 at full speed (USB 2.0 §5.7.3). */
  readonly interruptMaxPacketSize: number;
  /** bInterval in milliseconds at full speed: 1..255. */
  readonly interruptIntervalMs: number;
  readonly selfPowered: boolean;
  readonly remoteWakeup: boolean;
  /** Milliamperes drawn from the bus; USB counts in 2 mA units, up to 500 mA. */
  readonly maxPowerMa: number;
  /** bcdHID: 0x0100 or 0x0111 in the UPSes seen. */
  readonly hidVersionBcd: number;
}

export const INTERRUPT_IN_ENDPOINT = 0x81;
export const CONFIGURATION_VALUE = 1;
export const HID_INTERFACE_NUMBER = 0;

/** The HID class descriptor alone, as GET_DESCRIPTOR(0x21) on the interface answers it. */
export function buildHidDescriptor(hidVersionBcd: number, reportDescriptorLength: number): Uint8Array {
  if (reportDescriptorLength < 1) invalid('the report descriptor is empty');
  return Uint8Array.from([
    HID_LENGTH,
    DescriptorType.Hid,
    ...le16(bcd('bcdHID', hidVersionBcd)),
    0, // bCountryCode: not localized
    1, // bNumDescriptors
    DescriptorType.Report,
    ...le16(u16('wDescriptorLength', reportDescriptorLength)),
  ]);
}

/** Configuration 1 with its interface, HID and endpoint descriptors, wTotalLength filled in. */
export function buildHidConfigurationDescriptor(f: HidConfigurationFields): Uint8Array {
  checkInt('wMaxPacketSize', f.interruptMaxPacketSize, 1, 64);
  checkInt('bInterval', f.interruptIntervalMs, 1, 255);
  checkInt('MaxPower', f.maxPowerMa, 0, 500);
  const hid = buildHidDescriptor(f.hidVersionBcd, f.reportDescriptorLength);
  const total = CONFIGURATION_LENGTH + INTERFACE_LENGTH + hid.length + ENDPOINT_LENGTH;
  const attributes =
    CONFIG_ATTR_RESERVED |
    (f.selfPowered ? CONFIG_ATTR_SELF_POWERED : 0) |
    (f.remoteWakeup ? CONFIG_ATTR_REMOTE_WAKEUP : 0);
  return Uint8Array.from([
    CONFIGURATION_LENGTH,
    DescriptorType.Configuration,
    ...le16(total),
    1, // bNumInterfaces
    CONFIGURATION_VALUE,
    0, // iConfiguration
    attributes,
    Math.ceil(f.maxPowerMa / 2),
    INTERFACE_LENGTH,
    DescriptorType.Interface,
    HID_INTERFACE_NUMBER,
    0, // bAlternateSetting
    1, // bNumEndpoints
    USB_CLASS_HID,
    0, // no boot subclass: a UPS is not a keyboard or mouse
    0,
    0, // iInterface
    ...hid,
    ENDPOINT_LENGTH,
    DescriptorType.Endpoint,
    INTERRUPT_IN_ENDPOINT,
    ENDPOINT_TYPE_INTERRUPT,
    ...le16(f.interruptMaxPacketSize),
    f.interruptIntervalMs,
  ]);
}

/** String descriptor 0: the languages the device offers. */
export function buildLanguageDescriptor(languages: readonly number[] = [LANGUAGE_EN_US]): Uint8Array {
  if (languages.length < 1 || languages.length > MAX_STRING_CODE_UNITS) invalid(`${languages.length} languages`);
  return Uint8Array.from([
    2 + 2 * languages.length,
    DescriptorType.String,
    ...languages.flatMap((l) => le16(u16('LANGID', l))),
  ]);
}

/**
 * A string descriptor in UTF-16LE. Longer text than one descriptor holds is cut at 126 code units, never inside a
 * surrogate pair: a UPS's strings are far shorter, and a guest must never see a wrapped bLength.
 */
export function buildStringDescriptor(text: string): Uint8Array {
  let units = text.length;
  if (units > MAX_STRING_CODE_UNITS) {
    units = MAX_STRING_CODE_UNITS;
    const last = text.charCodeAt(units - 1);
    if (last >= 0xd800 && last <= 0xdbff) units -= 1;
  }
  const out = new Uint8Array(2 + 2 * units);
  out[0] = out.length;
  out[1] = DescriptorType.String;
  for (let i = 0; i < units; i++) {
    const c = text.charCodeAt(i);
    out[2 + 2 * i] = c & 0xff;
    out[3 + 2 * i] = c >> 8;
  }
  return out;
}

/** Every descriptor a device answers with, for a `lsusb -v`-like dump or a parser check. */
export interface UsbDescriptorSet {
  readonly device: Uint8Array;
  readonly configuration: Uint8Array;
  readonly report: Uint8Array;
  /** By index; index 0 is the language list. */
  readonly strings: ReadonlyMap<number, Uint8Array>;
}
