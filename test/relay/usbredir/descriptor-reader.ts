/**
 * A strict reader of the descriptors a USB device sends, written from USB 2.0 §9.6 and HID 1.11 §6.2.1 the way a
 * host's enumeration reads them (walk by bLength, check every length against its type, wTotalLength against the
 * walk). It is the test's own, independent of the builders it checks.
 */

export interface ReadDevice {
  bcdUSB: number;
  deviceClass: number;
  maxPacketSize0: number;
  vendorId: number;
  productId: number;
  bcdDevice: number;
  iManufacturer: number;
  iProduct: number;
  iSerial: number;
  numConfigurations: number;
}

export interface ReadEndpoint {
  address: number;
  attributes: number;
  maxPacketSize: number;
  interval: number;
}

export interface ReadInterface {
  number: number;
  alt: number;
  interfaceClass: number;
  subclass: number;
  protocol: number;
  /** bNumEndpoints as declared; checked against the endpoint descriptors that follow. */
  declaredEndpoints: number;
  hid: { bcdHID: number; country: number; reportType: number; reportLength: number } | null;
  endpoints: ReadEndpoint[];
}

export interface ReadConfiguration {
  totalLength: number;
  value: number;
  attributes: number;
  maxPowerMa: number;
  interfaces: ReadInterface[];
}

const le16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);

function need(cond: boolean, what: string): void {
  if (!cond) throw new Error(`descriptor: ${what}`);
}

export function readDeviceDescriptor(b: Uint8Array): ReadDevice {
  need(b.length === 18 && b[0] === 18 && b[1] === 1, `device descriptor of ${b.length} bytes, type ${b[1]}`);
  return {
    bcdUSB: le16(b, 2),
    deviceClass: b[4]!,
    maxPacketSize0: b[7]!,
    vendorId: le16(b, 8),
    productId: le16(b, 10),
    bcdDevice: le16(b, 12),
    iManufacturer: b[14]!,
    iProduct: b[15]!,
    iSerial: b[16]!,
    numConfigurations: b[17]!,
  };
}

export function readConfigurationDescriptor(b: Uint8Array): ReadConfiguration {
  need(b.length >= 9 && b[0] === 9 && b[1] === 2, 'configuration header');
  const config: ReadConfiguration = {
    totalLength: le16(b, 2),
    value: b[5]!,
    attributes: b[7]!,
    maxPowerMa: b[8]! * 2,
    interfaces: [],
  };
  need(config.totalLength === b.length, `wTotalLength ${config.totalLength} vs ${b.length} bytes`);
  need((config.attributes & 0x80) !== 0 && (config.attributes & 0x1f) === 0, 'bmAttributes reserved bits');
  let current: ReadInterface | null = null;
  let at = 9;
  while (at < b.length) {
    const len = b[at]!;
    const type = b[at + 1];
    need(len >= 2 && at + len <= b.length, `descriptor at ${at} of length ${len} overruns`);
    if (type === 4) {
      need(len === 9, 'interface length');
      current = {
        number: b[at + 2]!,
        alt: b[at + 3]!,
        interfaceClass: b[at + 5]!,
        subclass: b[at + 6]!,
        protocol: b[at + 7]!,
        declaredEndpoints: b[at + 4]!,
        hid: null,
        endpoints: [],
      };
      config.interfaces.push(current);
    } else if (type === 0x21) {
      need(current !== null && len === 9 && b[at + 5] === 1, 'HID descriptor placement or length');
      current!.hid = {
        bcdHID: le16(b, at + 2),
        country: b[at + 4]!,
        reportType: b[at + 6]!,
        reportLength: le16(b, at + 7),
      };
    } else if (type === 5) {
      need(current !== null && len === 7, 'endpoint placement or length');
      current!.endpoints.push({
        address: b[at + 2]!,
        attributes: b[at + 3]!,
        maxPacketSize: le16(b, at + 4),
        interval: b[at + 6]!,
      });
    }
    at += len;
  }
  need(config.interfaces.length === b[4], `bNumInterfaces ${b[4]} vs ${config.interfaces.length}`);
  for (const i of config.interfaces) {
    need(i.declaredEndpoints === i.endpoints.length, `interface ${i.number}: bNumEndpoints vs ${i.endpoints.length}`);
  }
  return config;
}

export function readStringDescriptor(b: Uint8Array): string {
  need(b.length >= 2 && b[0] === b.length && b[1] === 3 && b.length % 2 === 0, 'string descriptor framing');
  return Buffer.from(b.subarray(2)).toString('utf16le');
}

export function readLanguages(b: Uint8Array): number[] {
  need(b.length >= 4 && b[0] === b.length && b[1] === 3 && b.length % 2 === 0, 'language descriptor framing');
  const out: number[] = [];
  for (let at = 2; at < b.length; at += 2) out.push(le16(b, at));
  return out;
}
