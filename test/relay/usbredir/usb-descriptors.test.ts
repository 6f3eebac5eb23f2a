import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import {
  MAX_STRING_CODE_UNITS,
  buildDeviceDescriptor,
  buildHidConfigurationDescriptor,
  buildHidDescriptor,
  buildLanguageDescriptor,
  buildStringDescriptor,
  type DeviceDescriptorFields,
  type HidConfigurationFields,
} from '../../../src/relay/usbredir/usb-descriptors.js';
import {
  readConfigurationDescriptor,
  readDeviceDescriptor,
  readLanguages,
  readStringDescriptor,
} from './descriptor-reader.js';

// CyberPower CP1500 AVR (0764:0501) as `lsusb -v` shows it (NUT issue #574): 2.00, ep0 64, strings 3/1/2,
// self-powered 0xc0, 2 mA, wTotalLength 34.
const cyberpowerDevice: DeviceDescriptorFields = {
  usbVersionBcd: 0x0200,
  maxPacketSize0: 64,
  vendorId: 0x0764,
  productId: 0x0501,
  deviceVersionBcd: 0x0200,
  manufacturerIndex: 3,
  productIndex: 1,
  serialIndex: 2,
};
const cyberpowerConfig: HidConfigurationFields = {
  reportDescriptorLength: 0x01a0,
  interruptMaxPacketSize: 8,
  interruptIntervalMs: 10,
  selfPowered: true,
  remoteWakeup: false,
  maxPowerMa: 2,
  hidVersionBcd: 0x0110,
};

function expectInvalid(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UpsguardError);
    expect((e as UpsguardError).code).toBe(ErrorCode.UsbRedirRefused);
    expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a refusal');
}

describe('USB descriptors of a HID UPS', () => {
  it('builds the device descriptor byte for byte as a CyberPower UPS presents it', () => {
    const bytes = buildDeviceDescriptor(cyberpowerDevice);
    expect(Buffer.from(bytes).toString('hex')).toBe('120100020000004064070105000203010201');
    expect(readDeviceDescriptor(bytes)).toEqual({
      bcdUSB: 0x0200,
      deviceClass: 0,
      maxPacketSize0: 64,
      vendorId: 0x0764,
      productId: 0x0501,
      bcdDevice: 0x0200,
      iManufacturer: 3,
      iProduct: 1,
      iSerial: 2,
      numConfigurations: 1,
    });
  });

  it('builds configuration, interface, HID and endpoint descriptors with wTotalLength 34', () => {
    const bytes = buildHidConfigurationDescriptor(cyberpowerConfig);
    expect(bytes.length).toBe(34);
    expect(readConfigurationDescriptor(bytes)).toEqual({
      totalLength: 34,
      value: 1,
      attributes: 0xc0,
      maxPowerMa: 2,
      interfaces: [
        {
          number: 0,
          alt: 0,
          interfaceClass: 3,
          subclass: 0,
          protocol: 0,
          declaredEndpoints: 1,
          hid: { bcdHID: 0x0110, country: 0, reportType: 0x22, reportLength: 0x01a0 },
          endpoints: [{ address: 0x81, attributes: 3, maxPacketSize: 8, interval: 10 }],
        },
      ],
    });
    // The HID descriptor as GET_DESCRIPTOR(0x21) answers it is the one inside the configuration.
    expect(Buffer.from(bytes.subarray(18, 27)).equals(Buffer.from(buildHidDescriptor(0x0110, 0x01a0)))).toBe(true);
  });

  it('sets the remote wakeup and bus-powered attributes as asked, MaxPower in 2 mA units', () => {
    const c = readConfigurationDescriptor(
      buildHidConfigurationDescriptor({ ...cyberpowerConfig, selfPowered: false, remoteWakeup: true, maxPowerMa: 99 }),
    );
    expect(c.attributes).toBe(0xa0);
    expect(c.maxPowerMa).toBe(100);
  });

  it('encodes strings in UTF-16LE and the language list as 0x0409', () => {
    expect(readLanguages(buildLanguageDescriptor())).toEqual([0x0409]);
    expect(Buffer.from(buildLanguageDescriptor()).toString('hex')).toBe('04030904');
    const s = buildStringDescriptor('CPS');
    expect(Buffer.from(s).toString('hex')).toBe('0803430050005300');
    expect(readStringDescriptor(buildStringDescriptor('Back-UPS 500 FW: 6.5.I USB FW: c1 '))).toBe(
      'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
    );
    expect(readStringDescriptor(buildStringDescriptor(''))).toBe('');
  });

  it('cuts a string too long for one descriptor at 126 code units, never inside a surrogate pair', () => {
    expect(readStringDescriptor(buildStringDescriptor('x'.repeat(300)))).toBe('x'.repeat(MAX_STRING_CODE_UNITS));
    const pairAtEdge = 'y'.repeat(MAX_STRING_CODE_UNITS - 1) + '\u{1F50B}';
    const read = readStringDescriptor(buildStringDescriptor(pairAtEdge));
    expect(read).toBe('y'.repeat(MAX_STRING_CODE_UNITS - 1));
    expect(buildStringDescriptor(pairAtEdge)[0]).toBe(2 + 2 * (MAX_STRING_CODE_UNITS - 1));
  });

  it.each([
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, vendorId: 0x10000 }), /idVendor 65536/],
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, productId: -1 }), /idProduct -1/],
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, deviceVersionBcd: 0x01a0 }), /bcdDevice 0x1a0 is not BCD/],
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, serialIndex: 256 }), /iSerialNumber 256/],
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, usbVersionBcd: 0x0300 as 0x0200 }), /bcdUSB 0x300/],
    [() => buildDeviceDescriptor({ ...cyberpowerDevice, maxPacketSize0: 12 as 8 }), /bMaxPacketSize0 12/],
    [() => buildHidConfigurationDescriptor({ ...cyberpowerConfig, interruptMaxPacketSize: 65 }), /wMaxPacketSize 65/],
    [() => buildHidConfigurationDescriptor({ ...cyberpowerConfig, interruptIntervalMs: 0 }), /bInterval 0/],
    [() => buildHidConfigurationDescriptor({ ...cyberpowerConfig, maxPowerMa: 502 }), /MaxPower 502/],
    [
      () => buildHidConfigurationDescriptor({ ...cyberpowerConfig, reportDescriptorLength: 0 }),
      /report descriptor is empty/,
    ],
    [
      () => buildHidConfigurationDescriptor({ ...cyberpowerConfig, reportDescriptorLength: 70_000 }),
      /wDescriptorLength/,
    ],
    [() => buildLanguageDescriptor([]), /0 languages/],
  ])('refuses an out-of-range field with a typed error (%#)', (fn, message) => {
    expectInvalid(fn, message);
  });

  it('property: every valid field set reads back exactly, every string round-trips its first 126 units', () => {
    fc.assert(
      fc.property(
        fc.record({
          usbVersionBcd: fc.constantFrom(0x0110 as const, 0x0200 as const),
          maxPacketSize0: fc.constantFrom(8 as const, 16 as const, 32 as const, 64 as const),
          vendorId: fc.integer({ min: 0, max: 0xffff }),
          productId: fc.integer({ min: 0, max: 0xffff }),
          deviceVersionBcd: fc
            .array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 })
            .map((d) => d.reduce((a, x) => (a << 4) | x, 0)),
          manufacturerIndex: fc.integer({ min: 0, max: 255 }),
          productIndex: fc.integer({ min: 0, max: 255 }),
          serialIndex: fc.integer({ min: 0, max: 255 }),
        }),
        fc.record({
          reportDescriptorLength: fc.integer({ min: 1, max: 0xffff }),
          interruptMaxPacketSize: fc.integer({ min: 1, max: 64 }),
          interruptIntervalMs: fc.integer({ min: 1, max: 255 }),
          selfPowered: fc.boolean(),
          remoteWakeup: fc.boolean(),
          maxPowerMa: fc.integer({ min: 0, max: 250 }).map((n) => n * 2),
          hidVersionBcd: fc.constantFrom(0x0100, 0x0101, 0x0110, 0x0111),
        }),
        fc.string({ unit: 'binary', maxLength: 200 }),
        (dev, cfg, text) => {
          const d = readDeviceDescriptor(buildDeviceDescriptor(dev));
          expect(d).toMatchObject({
            bcdUSB: dev.usbVersionBcd,
            maxPacketSize0: dev.maxPacketSize0,
            vendorId: dev.vendorId,
            productId: dev.productId,
            bcdDevice: dev.deviceVersionBcd,
            iManufacturer: dev.manufacturerIndex,
            iProduct: dev.productIndex,
            iSerial: dev.serialIndex,
          });
          const c = readConfigurationDescriptor(buildHidConfigurationDescriptor(cfg));
          expect(c.maxPowerMa).toBe(cfg.maxPowerMa);
          expect(c.attributes).toBe(0x80 | (cfg.selfPowered ? 0x40 : 0) | (cfg.remoteWakeup ? 0x20 : 0));
          expect(c.interfaces[0]!.hid!.reportLength).toBe(cfg.reportDescriptorLength);
          expect(c.interfaces[0]!.endpoints[0]).toEqual({
            address: 0x81,
            attributes: 3,
            maxPacketSize: cfg.interruptMaxPacketSize,
            interval: cfg.interruptIntervalMs,
          });
          const s = buildStringDescriptor(text);
          expect(s[0]).toBe(s.length);
          expect(s.length).toBeLessThanOrEqual(2 + 2 * MAX_STRING_CODE_UNITS);
          const back = readStringDescriptor(s);
          expect(text.startsWith(back)).toBe(true);
          expect(back.length).toBeGreaterThanOrEqual(Math.min(text.length, MAX_STRING_CODE_UNITS - 1));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any integer field value is either encoded losslessly or refused with a typed error', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 0x10005 }), fc.integer({ min: -5, max: 600 }), (n, small) => {
        try {
          expect(readDeviceDescriptor(buildDeviceDescriptor({ ...cyberpowerDevice, vendorId: n })).vendorId).toBe(n);
        } catch (e) {
          expect((e as UpsguardError).code).toBe(ErrorCode.UsbRedirRefused);
          expect(n < 0 || n > 0xffff).toBe(true);
        }
        try {
          const c = readConfigurationDescriptor(
            buildHidConfigurationDescriptor({ ...cyberpowerConfig, interruptIntervalMs: small }),
          );
          expect(c.interfaces[0]!.endpoints[0]!.interval).toBe(small);
        } catch (e) {
          expect((e as UpsguardError).code).toBe(ErrorCode.UsbRedirRefused);
          expect(small < 1 || small > 255).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
