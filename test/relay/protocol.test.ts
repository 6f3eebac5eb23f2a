import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  MAX_FRAME_BYTES,
  MessageType,
  RelayProtocolError,
  encodeFrame,
} from '../../src/relay/protocol.js';
import { InputRing } from '../../src/relay/input-ring.js';
import { WRITABLE_USAGES, writableReportIds } from '../../src/relay/write-allowlist.js';
import { parseReportDescriptor } from '../../src/ups/hid/descriptor-parser.js';
import { recordedDevices } from '../../src/ups/sim/recorded-devices.js';

function raw(type: number, requestId: number, body: string | Buffer): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const out = Buffer.alloc(9 + b.length);
  out.writeUInt32BE(5 + b.length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(requestId, 5);
  b.copy(out, 9);
  return out;
}

describe('relay framing', () => {
  it('round-trips frames however the stream is split', () => {
    const a = encodeFrame(MessageType.GetFeature, 7, { handle: 1, reportId: 12, length: 6 });
    const b = encodeFrame(MessageType.Input, 0, { handle: 1, seq: 42, at: 1, bytes: '0c640000140a' });
    const stream = Buffer.concat([a, b]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      expect(frames.map((f) => [f.type, f.requestId])).toEqual([
        [MessageType.GetFeature, 7],
        [MessageType.Input, 0],
      ]);
      expect(frames[1]!.payload).toEqual({ handle: 1, seq: 42, at: 1, bytes: '0c640000140a' });
    }
  });

  it.each([
    [
      'an oversized length',
      (() => {
        const b = Buffer.alloc(8);
        b.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
        return b;
      })(),
      /frame length 65537 exceeds the maximum of 65536 bytes/,
    ],
    ['a length shorter than the header', Buffer.from([0, 0, 0, 2, 1, 0]), /shorter than its header/],
    ['an unknown type', raw(99, 1, '{}'), /unknown message type 99/],
    ['a payload that is not JSON', raw(MessageType.Ping, 1, '{nope'), /Ping payload is not valid JSON/],
    [
      'a payload with a bad field',
      raw(MessageType.GetFeature, 1, '{"handle":1,"reportId":300,"length":6}'),
      /GetFeature payload: invalid reportId/,
    ],
    [
      'report bytes that are not hex',
      raw(MessageType.SetFeature, 1, '{"handle":1,"bytes":"zz"}'),
      /SetFeature payload: invalid bytes/,
    ],
    ['a payload that is an array', raw(MessageType.Open, 1, '[1]'), /payload is not an object/],
  ])('refuses %s with a BAD_FRAME naming it', (_what, bytes, message) => {
    const d = new FrameDecoder();
    let error: unknown;
    try {
      d.push(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RelayProtocolError);
    expect((error as RelayProtocolError).relayCode).toBe('BAD_FRAME');
    expect((error as Error).message).toMatch(message);
  });

  it('never throws anything but RelayProtocolError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const d = new FrameDecoder();
        try {
          for (const c of chunks) d.push(Buffer.from(c));
        } catch (e) {
          expect(e).toBeInstanceOf(RelayProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('survives well-framed frames with arbitrary types and JSON payloads', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.jsonValue(), (type, payload) => {
        const d = new FrameDecoder();
        try {
          d.push(raw(type, 1, JSON.stringify(payload)));
        } catch (e) {
          expect(e).toBeInstanceOf(RelayProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('input ring', () => {
  it('numbers reports and replays everything after a sequence number while it still holds it', () => {
    const r = new InputRing(3);
    for (let i = 0; i < 5; i++) r.push(Uint8Array.of(i), i);
    expect(r.lastSeq).toBe(5);
    expect(r.since(3)?.map((x) => x.seq)).toEqual([4, 5]);
    expect(r.since(2)?.map((x) => x.seq)).toEqual([3, 4, 5]);
    expect(r.since(1)).toBeNull();
    expect(r.since(5)).toEqual([]);
  });
});

describe('write allowlist', () => {
  it('allows the delays, the battery test, the beeper and APC native shutdown.return, nothing else', () => {
    expect([...WRITABLE_USAGES].sort((a, b) => a - b)).toEqual([
      0x00840055, // DelayBeforeReboot
      0x00840056, // DelayBeforeStartup
      0x00840057, // DelayBeforeShutdown
      0x00840058, // Test
      0x0084005a, // AudibleAlarmControl
      0xff86007c, // APCDelayBeforeReboot
    ]);
  });

  it.each(recordedDevices.map((d) => d.name))(
    '%s: the writable reports are those of the named feature fields',
    (name) => {
      const dev = recordedDevices.find((d) => d.name === name)!;
      const bytes = Uint8Array.from(Buffer.from(dev.descriptorHex.replace(/\s+/g, ''), 'hex'));
      const named = /\.(DelayBeforeReboot|DelayBeforeStartup|DelayBeforeShutdown|Test|AudibleAlarmControl|ff86007c)$/;
      const expected = new Set(
        parseReportDescriptor(bytes)
          .fields.filter((f) => f.type === 'feature' && named.test(f.path))
          .map((f) => f.reportId),
      );
      expect(expected.size).toBeGreaterThan(0);
      expect(writableReportIds(bytes)).toEqual(expected);
    },
  );
});
