import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { DEFAULT_MAX_DATA, UsbRedirDecoder, encodeMessage } from '../../../src/relay/usbredir/codec.js';
import {
  PRE_HELLO_WIRE,
  TYPE_NAME_BY_CODE,
  USBREDIR_TYPE,
  maySend,
  negotiateWire,
  type EpInfoEntry,
  type UsbRedirMessage,
  type UsbRedirSide,
  type WireOptions,
} from '../../../src/relay/usbredir/protocol.js';

const ALL_CAPS = 0xff;
const FULL = negotiateWire(ALL_CAPS, ALL_CAPS);
// What QEMU 7.2 and our agent agree on: everything but bulk streams (we do not announce them).
const QEMU_AND_US = negotiateWire(0x7e, 0xff);

const bytes = (...b: number[]) => new Uint8Array(b);
const eps: EpInfoEntry[] = Array.from({ length: 32 }, (_, i) => ({
  type: i === 0 || i === 16 ? 0 : i === 17 ? 3 : 255,
  interval: i === 17 ? 10 : 0,
  interfaceNumber: 0,
  maxPacketSize: i === 17 ? 8 : i % 16 === 0 ? 64 : 0,
  maxStreams: 0,
}));

/** One message of every type, each as the side that sends it would. */
function samples(): { from: UsbRedirSide; m: UsbRedirMessage }[] {
  const id = 0x1234n;
  const host = (m: UsbRedirMessage) => ({ from: 'host' as const, m });
  const guest = (m: UsbRedirMessage) => ({ from: 'guest' as const, m });
  return [
    guest({ type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.0', caps: [0xff] }),
    host({
      type: 'deviceConnect',
      id: 0n,
      speed: 1,
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      vendorId: 0x0463,
      productId: 0xffff,
      deviceVersionBcd: 0x0100,
    }),
    host({ type: 'deviceDisconnect', id: 0n }),
    guest({ type: 'reset', id: 0n }),
    host({
      type: 'interfaceInfo',
      id: 0n,
      interfaces: [{ number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 }],
    }),
    host({ type: 'epInfo', id: 0n, endpoints: eps }),
    guest({ type: 'setConfiguration', id, configuration: 1 }),
    guest({ type: 'getConfiguration', id }),
    host({ type: 'configurationStatus', id, status: 0, configuration: 1 }),
    guest({ type: 'setAltSetting', id, interfaceNumber: 0, alt: 1 }),
    guest({ type: 'getAltSetting', id, interfaceNumber: 0 }),
    host({ type: 'altSettingStatus', id, status: 0, interfaceNumber: 0, alt: 1 }),
    guest({ type: 'startIsoStream', id, endpoint: 0x83, pktsPerUrb: 8, noUrbs: 4 }),
    guest({ type: 'stopIsoStream', id, endpoint: 0x83 }),
    host({ type: 'isoStreamStatus', id, status: 4, endpoint: 0x83 }),
    guest({ type: 'startInterruptReceiving', id, endpoint: 0x81 }),
    guest({ type: 'stopInterruptReceiving', id, endpoint: 0x81 }),
    host({ type: 'interruptReceivingStatus', id, status: 0, endpoint: 0x81 }),
    guest({ type: 'allocBulkStreams', id, endpoints: 0x30004, noStreams: 16 }),
    guest({ type: 'freeBulkStreams', id, endpoints: 0x30004 }),
    host({ type: 'bulkStreamsStatus', id, endpoints: 0x30004, noStreams: 16, status: 2 }),
    guest({ type: 'cancelDataPacket', id }),
    guest({ type: 'filterReject', id: 0n }),
    guest({ type: 'filterFilter', id: 0n, rules: '0x03,-1,-1,-1,1|-1,-1,-1,-1,0' }),
    guest({ type: 'deviceDisconnectAck', id: 0n }),
    guest({ type: 'startBulkReceiving', id, streamId: 0, bytesPerTransfer: 512, endpoint: 0x82, noTransfers: 5 }),
    guest({ type: 'stopBulkReceiving', id, streamId: 0, endpoint: 0x82 }),
    host({ type: 'bulkReceivingStatus', id, streamId: 0, endpoint: 0x82, status: 0 }),
    guest({
      type: 'controlPacket',
      id,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x100,
      index: 0,
      length: 18,
      data: new Uint8Array(0),
    }),
    host({
      type: 'controlPacket',
      id,
      endpoint: 0x80,
      request: 6,
      requestType: 0x80,
      status: 0,
      value: 0x100,
      index: 0,
      length: 3,
      data: bytes(18, 1, 0),
    }),
    guest({ type: 'bulkPacket', id, endpoint: 0x02, status: 0, length: 4, streamId: 0, data: bytes(1, 2, 3, 4) }),
    host({ type: 'bulkPacket', id, endpoint: 0x82, status: 0, length: 2, streamId: 0, data: bytes(9, 8) }),
    guest({ type: 'isoPacket', id, endpoint: 0x03, status: 0, length: 2, data: bytes(5, 6) }),
    host({ type: 'interruptPacket', id, endpoint: 0x81, status: 0, length: 3, data: bytes(1, 0x64, 0) }),
    guest({ type: 'interruptPacket', id, endpoint: 0x01, status: 0, length: 1, data: bytes(7) }),
    host({ type: 'bufferedBulkPacket', id, endpoint: 0x82, status: 0, length: 2, streamId: 0, data: bytes(1, 2) }),
  ];
}

function decoderFor(from: UsbRedirSide, peerCaps = ALL_CAPS, ourCaps = ALL_CAPS, maxDataLength?: number) {
  return new UsbRedirDecoder({
    peer: from,
    ourCaps,
    resumePeerCaps: peerCaps,
    ...(maxDataLength === undefined ? {} : { maxDataLength }),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function expectProtocolError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.UsbRedirProtocol);
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a UsbRedirProtocol error');
}

describe('usbredir codec: round trips', () => {
  it('covers every message type the protocol defines', () => {
    const covered = new Set(samples().map((s) => s.m.type));
    expect([...covered].sort()).toEqual(Object.keys(USBREDIR_TYPE).sort());
  });

  for (const [label, wire, caps] of [
    ['all caps negotiated', FULL, ALL_CAPS],
    ['QEMU 7.2 with upsguard', QEMU_AND_US, 0x7e],
    ['no caps', PRE_HELLO_WIRE, 0],
  ] as const) {
    it(`encodes and decodes every type back to itself (${label})`, () => {
      for (const { from, m } of samples()) {
        const encoded = encodeMessage(m, wire);
        // A hello only ever opens a stream (always with a 32-bit id), so it goes to a fresh decoder.
        const decoder =
          m.type === 'hello' ? new UsbRedirDecoder({ peer: from, ourCaps: caps }) : decoderFor(from, ALL_CAPS, caps);
        const decoded = decoder.push(encoded);
        const expected =
          m.type === 'deviceConnect' && !wire.deviceVersion
            ? { ...m, deviceVersionBcd: 0 }
            : m.type === 'epInfo' && !wire.epInfoMaxPacketSize
              ? { ...m, endpoints: m.endpoints.map((e) => ({ ...e, maxPacketSize: 0 })) }
              : m;
        expect(decoded, m.type).toEqual([expected]);
      }
    });
  }

  it('sizes the caps-dependent headers as usbredirproto.h lays them out', () => {
    const size = (m: UsbRedirMessage, wire: WireOptions) => encodeMessage(m, wire).length;
    const connect = samples().find((s) => s.m.type === 'deviceConnect')!.m;
    const epInfo = samples().find((s) => s.m.type === 'epInfo')!.m;
    const bulk = samples().find((s) => s.m.type === 'bulkPacket')!.m;
    expect(size(connect, QEMU_AND_US)).toBe(16 + 10);
    expect(size(connect, PRE_HELLO_WIRE)).toBe(12 + 8);
    expect(size(epInfo, QEMU_AND_US)).toBe(16 + 32 * 5);
    expect(size(epInfo, FULL)).toBe(16 + 32 * 9);
    expect(size(epInfo, PRE_HELLO_WIRE)).toBe(12 + 32 * 3);
    expect(size(bulk, QEMU_AND_US)).toBe(16 + 10 + 4);
    expect(size(bulk, PRE_HELLO_WIRE)).toBe(12 + 8 + 4);
  });

  it('keeps 64-bit ids and 32-bit bulk lengths whole', () => {
    const m: UsbRedirMessage = {
      type: 'bulkPacket',
      id: 0xfedcba9876543210n,
      endpoint: 0x82,
      status: 0,
      length: 0x12345,
      streamId: 0,
      data: new Uint8Array(0),
    };
    expect(decoderFor('guest').push(encodeMessage(m, FULL))).toEqual([m]);
    expectProtocolError(() => encodeMessage(m, PRE_HELLO_WIRE), /64bits_ids/);
  });

  it('switches to the negotiated format after the peer hello, in the same chunk', () => {
    const hello: UsbRedirMessage = { type: 'hello', id: 0n, version: 'qemu', caps: [0xff] };
    const get: UsbRedirMessage = { type: 'getConfiguration', id: 0x1_0000_0001n };
    const d = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
    const out = d.push(concat([encodeMessage(hello, PRE_HELLO_WIRE), encodeMessage(get, QEMU_AND_US)]));
    expect(out).toEqual([hello, get]);
    expect(d.wireOptions).toEqual(QEMU_AND_US);
  });

  it('round-trips generated data packets', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 6 }),
        fc.uint8Array({ maxLength: 2048 }),
        (id, epNumber, status, data) => {
          const m: UsbRedirMessage = {
            type: 'bulkPacket',
            id,
            endpoint: epNumber,
            status,
            length: data.length,
            data,
            streamId: 0,
          };
          expect(decoderFor('guest').push(encodeMessage(m, FULL))).toEqual([m]);
        },
      ),
    );
  });
});

describe('usbredir codec: streaming', () => {
  const stream = samples().filter((s) => s.from === 'guest' && s.m.type !== 'hello');
  const wholeBytes = concat([
    encodeMessage({ type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.0', caps: [0xff] }, PRE_HELLO_WIRE),
    ...stream.map((s) => encodeMessage(s.m, QEMU_AND_US)),
  ]);
  const expected = (() => new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e }).push(wholeBytes))();

  it('decodes the whole guest stream in one chunk', () => {
    expect(expected).toHaveLength(stream.length + 1);
  });

  it('decodes the same messages at every split point', () => {
    for (let cut = 0; cut <= wholeBytes.length; cut++) {
      const d = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
      const out = [...d.push(wholeBytes.subarray(0, cut)), ...d.push(wholeBytes.subarray(cut))];
      expect(out).toEqual(expected);
      expect(d.pendingBytes).toBe(0);
    }
  });

  it('decodes Node Buffers that are views into a shared pool', () => {
    const pool = Buffer.alloc(wholeBytes.length + 100, 0xee);
    pool.set(wholeBytes, 37);
    const chunk = pool.subarray(37, 37 + wholeBytes.length);
    const out = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e }).push(chunk);
    expect(out).toEqual(expected);
    pool.fill(0); // the messages own their bytes
    expect(out).toEqual(expected);
  });

  it('decodes the same messages one byte at a time', () => {
    const d = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
    const out: UsbRedirMessage[] = [];
    for (let i = 0; i < wholeBytes.length; i++) out.push(...d.push(wholeBytes.subarray(i, i + 1)));
    expect(out).toEqual(expected);
  });

  it('decodes the same messages for random chunkings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: wholeBytes.length }), { maxLength: 20 }), (cuts) => {
        const points = [0, ...[...cuts].sort((a, b) => a - b), wholeBytes.length];
        const d = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
        const out: UsbRedirMessage[] = [];
        for (let i = 1; i < points.length; i++) out.push(...d.push(wholeBytes.subarray(points[i - 1], points[i])));
        expect(out).toEqual(expected);
      }),
    );
  });
});

describe('usbredir codec: hostile input', () => {
  it('names an unknown type and its length', () => {
    const d = decoderFor('guest');
    const hdr = new Uint8Array(16);
    new DataView(hdr.buffer).setUint32(0, 50, true);
    new DataView(hdr.buffer).setUint32(4, 7, true);
    expectProtocolError(() => d.push(hdr), /unknown usbredir message type 50 \(length 7\)/);
    // The framing is lost: the decoder stays failed.
    expectProtocolError(() => d.push(new Uint8Array(1)), /type 50/);
  });

  it('refuses a data length beyond the cap from the header alone, before buffering the body', () => {
    const d = decoderFor('guest');
    const hdr = new Uint8Array(16 + 10);
    const v = new DataView(hdr.buffer);
    v.setUint32(0, USBREDIR_TYPE.bulkPacket, true);
    v.setUint32(4, 0x7fffffff, true);
    expectProtocolError(() => d.push(hdr), /bulkPacket \(type 101\) with length 2147483647: must be 10\.\.65546/);
  });

  it('refuses a fixed-size type with a wrong length', () => {
    const hdr = new Uint8Array(16);
    const v = new DataView(hdr.buffer);
    v.setUint32(0, USBREDIR_TYPE.setConfiguration, true);
    v.setUint32(4, 5, true);
    expectProtocolError(() => decoderFor('guest').push(hdr), /setConfiguration \(type 6\) with length 5: must be 1$/);
  });

  it('refuses types only the other side sends, and anything before the hello', () => {
    const connect = samples().find((s) => s.m.type === 'deviceConnect')!.m;
    expectProtocolError(() => decoderFor('guest').push(encodeMessage(connect, FULL)), /may not come from the guest/);
    const fresh = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
    expectProtocolError(
      () => fresh.push(encodeMessage({ type: 'reset', id: 0n }, PRE_HELLO_WIRE)),
      /before the peer's hello/,
    );
  });

  it('refuses data on a request for IN data, and a length that disagrees with the data', () => {
    const inWithData: UsbRedirMessage = {
      type: 'bulkPacket',
      id: 1n,
      endpoint: 0x82,
      status: 0,
      length: 2,
      streamId: 0,
      data: bytes(1, 2),
    };
    expectProtocolError(() => decoderFor('guest').push(encodeMessage(inWithData, FULL)), /unexpected data/);
    const raw = encodeMessage({ ...inWithData, endpoint: 0x02 }, FULL);
    new DataView(raw.buffer).setUint16(16 + 2, 3, true); // the length field says 3, 2 bytes follow
    expectProtocolError(() => decoderFor('guest').push(raw), /carries 2 data bytes but says length 3/);
  });

  it('refuses an interrupt IN request from a guest (QEMU polls with start_interrupt_receiving)', () => {
    const m: UsbRedirMessage = {
      type: 'interruptPacket',
      id: 1n,
      endpoint: 0x81,
      status: 0,
      length: 8,
      data: new Uint8Array(0),
    };
    expectProtocolError(() => decoderFor('guest').push(encodeMessage(m, FULL)), /wrong direction/);
  });

  it('never throws anything but a UsbRedirProtocol error on random bytes, nor holds more than one message', () => {
    const maxData = 1024;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 8 }), fc.boolean(), (chunks, afterHello) => {
        const d = afterHello
          ? decoderFor('guest', ALL_CAPS, ALL_CAPS, maxData)
          : new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e, maxDataLength: maxData });
        try {
          for (const c of chunks) {
            d.push(c);
            expect(d.pendingBytes).toBeLessThanOrEqual(16 + 288 + maxData);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(UpsguardError);
          expect((err as UpsguardError).code).toBe(ErrorCode.UsbRedirProtocol);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('survives random bytes that start with a valid header of every type', () => {
    const codes = [...TYPE_NAME_BY_CODE.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        fc.integer({ min: 0, max: 400 }),
        fc.uint8Array({ maxLength: 400 }),
        (code, length, body) => {
          const hdr = new Uint8Array(16);
          new DataView(hdr.buffer).setUint32(0, code, true);
          new DataView(hdr.buffer).setUint32(4, length, true);
          for (const side of ['guest', 'host'] as const) {
            try {
              decoderFor(side).push(concat([hdr, body]));
            } catch (err) {
              expect((err as UpsguardError).code).toBe(ErrorCode.UsbRedirProtocol);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('has a default cap of 64 KiB of data', () => {
    expect(DEFAULT_MAX_DATA).toBe(65536);
    expect(maySend('guest', 'deviceConnect')).toBe(false);
  });
});

describe('usbredir codec: bytes laid out by hand from usbredirproto.h', () => {
  it("decodes QEMU's hello (32-bit id, 64-byte version, one caps word)", () => {
    const version = 'qemu usb-redir guest 7.2.0';
    const raw = new Uint8Array(12 + 64 + 4);
    const v = new DataView(raw.buffer);
    v.setUint32(0, 0, true); // usb_redir_hello
    v.setUint32(4, 68, true);
    v.setUint32(8, 0, true);
    raw.set(new TextEncoder().encode(version), 12);
    v.setUint32(76, 0xff, true); // caps 0..7, device_disconnect_ack set by libusbredirparser for a guest
    const d = new UsbRedirDecoder({ peer: 'guest', ourCaps: 0x7e });
    expect(d.push(raw)).toEqual([{ type: 'hello', id: 0n, version, caps: [0xff] }]);
    expect(d.wireOptions).toEqual({
      ids64: true,
      deviceVersion: true,
      epInfoMaxPacketSize: true,
      epInfoMaxStreams: false,
      bulkLength32: true,
    });
  });

  it('decodes a GET_DESCRIPTOR control request with a 64-bit id', () => {
    // struct usb_redir_header {u32 type=100, u32 length=10, u64 id}; control header {ep, request, requesttype,
    // status, u16 value, u16 index, u16 length}
    const raw = bytes(
      100,
      0,
      0,
      0,
      10,
      0,
      0,
      0,
      0x08,
      0x07,
      0x06,
      0x05,
      0x04,
      0x03,
      0x02,
      0x01,
      0x80,
      0x06,
      0x80,
      0x00,
      0x00,
      0x01,
      0x00,
      0x00,
      0x12,
      0x00,
    );
    expect(decoderFor('guest', 0xff, 0x7e).push(raw)).toEqual([
      {
        type: 'controlPacket',
        id: 0x0102030405060708n,
        endpoint: 0x80,
        request: 6,
        requestType: 0x80,
        status: 0,
        value: 0x0100,
        index: 0,
        length: 18,
        data: new Uint8Array(0),
      },
    ]);
  });

  it('writes device_connect and an interrupt packet byte for byte', () => {
    const connect = samples().find((s) => s.m.type === 'deviceConnect')!.m;
    expect([...encodeMessage(connect, QEMU_AND_US)]).toEqual([
      1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x63, 0x04, 0xff, 0xff, 0x00, 0x01,
    ]);
    const report = samples().find((s) => s.m.type === 'interruptPacket' && s.from === 'host')!.m;
    expect([...encodeMessage(report, QEMU_AND_US)]).toEqual([
      103, 0, 0, 0, 7, 0, 0, 0, 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0x81, 0, 3, 0, 1, 0x64, 0,
    ]);
  });

  it('reads interface_info columns as the header lays them out', () => {
    const raw = new Uint8Array(16 + 132);
    const v = new DataView(raw.buffer);
    v.setUint32(0, 4, true);
    v.setUint32(4, 132, true);
    v.setUint32(16, 2, true);
    raw.set([0, 1], 20); // interface[]
    raw.set([3, 8], 20 + 32); // interface_class[]
    raw.set([0, 6], 20 + 64);
    raw.set([0, 0x50], 20 + 96);
    expect(decoderFor('host').push(raw)).toEqual([
      {
        type: 'interfaceInfo',
        id: 0n,
        interfaces: [
          { number: 0, interfaceClass: 3, interfaceSubclass: 0, interfaceProtocol: 0 },
          { number: 1, interfaceClass: 8, interfaceSubclass: 6, interfaceProtocol: 0x50 },
        ],
      },
    ]);
  });
});
