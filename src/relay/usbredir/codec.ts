import { ErrorCode, UpsguardError } from '../../errors.js';
import {
  ENDPOINT_SLOTS,
  HELLO_VERSION_BYTES,
  MAX_INTERFACES,
  PRE_HELLO_WIRE,
  TYPE_NAME_BY_CODE,
  USBREDIR_TYPE,
  isInEndpoint,
  maySend,
  negotiateWire,
  type EpInfoEntry,
  type InterfaceInfoEntry,
  type UsbRedirMessage,
  type UsbRedirSide,
  type UsbRedirTypeName,
  type WireOptions,
} from './protocol.js';

/**
 * The usbredir codec: `encodeMessage` writes one message, `UsbRedirDecoder` turns arbitrary stream chunks into whole
 * messages. Both are pure. Every length on the wire is checked against its type before a byte of the body is
 * buffered, so a hostile peer costs at most one message's worth of memory.
 */

/** Data packets carry at most this much by default: control is 16-bit anyway, and a UPS or dongle sends little. */
export const DEFAULT_MAX_DATA = 64 * 1024;
/** A hello carries up to this many capability words (0.7 knows one). */
const MAX_HELLO_CAP_WORDS = 16;

const DATA_TYPES: ReadonlySet<UsbRedirTypeName> = new Set([
  'controlPacket',
  'bulkPacket',
  'isoPacket',
  'interruptPacket',
  'bufferedBulkPacket',
]);

function headerBytes(wire: WireOptions): number {
  return wire.ids64 ? 16 : 12;
}

/** The type-specific header's size, which for three types depends on the negotiated capabilities. */
export function typeHeaderBytes(type: UsbRedirTypeName, wire: WireOptions): number {
  switch (type) {
    case 'hello':
      return HELLO_VERSION_BYTES;
    case 'deviceConnect':
      return wire.deviceVersion ? 10 : 8;
    case 'interfaceInfo':
      return 4 + 4 * MAX_INTERFACES;
    case 'epInfo':
      return wire.epInfoMaxStreams ? 288 : wire.epInfoMaxPacketSize ? 160 : 96;
    case 'setConfiguration':
    case 'getAltSetting':
    case 'stopIsoStream':
    case 'startInterruptReceiving':
    case 'stopInterruptReceiving':
      return 1;
    case 'configurationStatus':
    case 'setAltSetting':
    case 'isoStreamStatus':
    case 'interruptReceivingStatus':
      return 2;
    case 'altSettingStatus':
    case 'startIsoStream':
      return 3;
    case 'freeBulkStreams':
    case 'isoPacket':
    case 'interruptPacket':
      return 4;
    case 'stopBulkReceiving':
      return 5;
    case 'bulkReceivingStatus':
      return 6;
    case 'allocBulkStreams':
      return 8;
    case 'bulkStreamsStatus':
      return 9;
    case 'startBulkReceiving':
    case 'controlPacket':
    case 'bufferedBulkPacket':
      return 10;
    case 'bulkPacket':
      return wire.bulkLength32 ? 10 : 8;
    case 'deviceDisconnect':
    case 'reset':
    case 'getConfiguration':
    case 'cancelDataPacket':
    case 'filterReject':
    case 'filterFilter':
    case 'deviceDisconnectAck':
      return 0;
  }
}

function maxBodyExtra(type: UsbRedirTypeName, maxData: number): number {
  if (type === 'hello') return 4 * MAX_HELLO_CAP_WORDS;
  if (type === 'filterFilter' || DATA_TYPES.has(type)) return maxData;
  return 0;
}

function protocolError(message: string, details: Record<string, unknown> = {}): UpsguardError {
  return new UpsguardError(ErrorCode.UsbRedirProtocol, message, details);
}

// ---- encoding ----

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.view.setUint8(this.pos, v & 0xff);
    this.pos += 1;
  }
  u16(v: number): void {
    this.view.setUint16(this.pos, v & 0xffff, true);
    this.pos += 2;
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }
  u64(v: bigint): void {
    this.view.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }
  raw(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }
  skipTo(offset: number): void {
    this.pos = offset;
  }
}

function dataOf(m: UsbRedirMessage): Uint8Array {
  switch (m.type) {
    case 'hello': {
      const caps = new Uint8Array(4 * m.caps.length);
      const view = new DataView(caps.buffer);
      m.caps.forEach((word, i) => view.setUint32(4 * i, word >>> 0, true));
      return caps;
    }
    case 'filterFilter':
      return new TextEncoder().encode(`${m.rules}\0`);
    case 'controlPacket':
    case 'bulkPacket':
    case 'isoPacket':
    case 'interruptPacket':
    case 'bufferedBulkPacket':
      if (m.data.length !== 0 && m.data.length !== m.length) {
        throw protocolError(`${m.type} to encode has ${m.data.length} data bytes but length ${m.length}`);
      }
      return m.data;
    default:
      return new Uint8Array(0);
  }
}

function writeTypeHeader(w: Writer, m: UsbRedirMessage, wire: WireOptions, start: number): void {
  switch (m.type) {
    case 'hello': {
      const version = new TextEncoder().encode(m.version).subarray(0, HELLO_VERSION_BYTES - 1);
      w.raw(version);
      w.skipTo(start + HELLO_VERSION_BYTES);
      return;
    }
    case 'deviceConnect':
      w.u8(m.speed);
      w.u8(m.deviceClass);
      w.u8(m.deviceSubclass);
      w.u8(m.deviceProtocol);
      w.u16(m.vendorId);
      w.u16(m.productId);
      if (wire.deviceVersion) w.u16(m.deviceVersionBcd);
      return;
    case 'interfaceInfo': {
      if (m.interfaces.length > MAX_INTERFACES) throw protocolError(`interface_info with ${m.interfaces.length} > 32`);
      w.u32(m.interfaces.length);
      const columns: ((e: InterfaceInfoEntry) => number)[] = [
        (e) => e.number,
        (e) => e.interfaceClass,
        (e) => e.interfaceSubclass,
        (e) => e.interfaceProtocol,
      ];
      columns.forEach((col, c) => {
        w.skipTo(start + 4 + c * MAX_INTERFACES);
        for (const e of m.interfaces) w.u8(col(e));
      });
      w.skipTo(start + 4 + 4 * MAX_INTERFACES);
      return;
    }
    case 'epInfo': {
      if (m.endpoints.length !== ENDPOINT_SLOTS)
        throw protocolError(`ep_info needs 32 slots, has ${m.endpoints.length}`);
      for (const e of m.endpoints) w.u8(e.type);
      for (const e of m.endpoints) w.u8(e.interval);
      for (const e of m.endpoints) w.u8(e.interfaceNumber);
      if (wire.epInfoMaxPacketSize || wire.epInfoMaxStreams) for (const e of m.endpoints) w.u16(e.maxPacketSize);
      if (wire.epInfoMaxStreams) for (const e of m.endpoints) w.u32(e.maxStreams);
      return;
    }
    case 'setConfiguration':
      w.u8(m.configuration);
      return;
    case 'configurationStatus':
      w.u8(m.status);
      w.u8(m.configuration);
      return;
    case 'setAltSetting':
      w.u8(m.interfaceNumber);
      w.u8(m.alt);
      return;
    case 'getAltSetting':
      w.u8(m.interfaceNumber);
      return;
    case 'altSettingStatus':
      w.u8(m.status);
      w.u8(m.interfaceNumber);
      w.u8(m.alt);
      return;
    case 'startIsoStream':
      w.u8(m.endpoint);
      w.u8(m.pktsPerUrb);
      w.u8(m.noUrbs);
      return;
    case 'stopIsoStream':
    case 'startInterruptReceiving':
    case 'stopInterruptReceiving':
      w.u8(m.endpoint);
      return;
    case 'isoStreamStatus':
    case 'interruptReceivingStatus':
      w.u8(m.status);
      w.u8(m.endpoint);
      return;
    case 'allocBulkStreams':
      w.u32(m.endpoints);
      w.u32(m.noStreams);
      return;
    case 'freeBulkStreams':
      w.u32(m.endpoints);
      return;
    case 'bulkStreamsStatus':
      w.u32(m.endpoints);
      w.u32(m.noStreams);
      w.u8(m.status);
      return;
    case 'startBulkReceiving':
      w.u32(m.streamId);
      w.u32(m.bytesPerTransfer);
      w.u8(m.endpoint);
      w.u8(m.noTransfers);
      return;
    case 'stopBulkReceiving':
      w.u32(m.streamId);
      w.u8(m.endpoint);
      return;
    case 'bulkReceivingStatus':
      w.u32(m.streamId);
      w.u8(m.endpoint);
      w.u8(m.status);
      return;
    case 'controlPacket':
      w.u8(m.endpoint);
      w.u8(m.request);
      w.u8(m.requestType);
      w.u8(m.status);
      w.u16(m.value);
      w.u16(m.index);
      w.u16(m.length);
      return;
    case 'bulkPacket':
      if (!wire.bulkLength32 && m.length > 0xffff)
        throw protocolError(`bulk length ${m.length} needs cap 32bits_bulk_length`);
      w.u8(m.endpoint);
      w.u8(m.status);
      w.u16(m.length);
      w.u32(m.streamId);
      if (wire.bulkLength32) w.u16(m.length >>> 16);
      return;
    case 'isoPacket':
    case 'interruptPacket':
      w.u8(m.endpoint);
      w.u8(m.status);
      w.u16(m.length);
      return;
    case 'bufferedBulkPacket':
      w.u32(m.streamId);
      w.u32(m.length);
      w.u8(m.endpoint);
      w.u8(m.status);
      return;
    case 'deviceDisconnect':
    case 'reset':
    case 'getConfiguration':
    case 'cancelDataPacket':
    case 'filterReject':
    case 'filterFilter':
    case 'deviceDisconnectAck':
      return;
  }
}

/** One message as bytes. The hello always goes with a 32-bit id (the peer cannot know our caps yet). */
export function encodeMessage(m: UsbRedirMessage, wire: WireOptions): Uint8Array {
  const w0 = m.type === 'hello' ? PRE_HELLO_WIRE : wire;
  const hdr = headerBytes(w0);
  const typeLen = typeHeaderBytes(m.type, w0);
  const data = dataOf(m);
  if (!w0.ids64 && m.id > 0xffffffffn) throw protocolError(`id ${m.id} of ${m.type} needs cap 64bits_ids`);
  const w = new Writer(hdr + typeLen + data.length);
  w.u32(USBREDIR_TYPE[m.type]);
  w.u32(typeLen + data.length);
  if (w0.ids64) w.u64(BigInt.asUintN(64, m.id));
  else w.u32(Number(m.id));
  writeTypeHeader(w, m, w0, hdr);
  w.skipTo(hdr + typeLen);
  w.raw(data);
  return w.bytes;
}

// ---- decoding ----

class Reader {
  private readonly view: DataView;
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(): number {
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  bytesAt(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  seek(offset: number): void {
    this.pos = offset;
  }
}

function decodeBody(
  type: UsbRedirTypeName,
  id: bigint,
  header: Uint8Array,
  data: Uint8Array,
  wire: WireOptions,
  peer: UsbRedirSide,
): UsbRedirMessage {
  const r = new Reader(header);
  const dataPacket = (endpoint: number, status: number, length: number) => {
    checkDataDirection(type, endpoint, length, data.length, peer);
    return { endpoint, status, length, data };
  };
  switch (type) {
    case 'hello': {
      const raw = header.subarray(0, HELLO_VERSION_BYTES);
      const nul = raw.indexOf(0);
      const version = new TextDecoder('utf-8', { fatal: false }).decode(nul === -1 ? raw : raw.subarray(0, nul));
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const caps: number[] = [];
      for (let i = 0; i + 4 <= data.length; i += 4) caps.push(dv.getUint32(i, true));
      return { type, id, version, caps };
    }
    case 'deviceConnect':
      return {
        type,
        id,
        speed: r.u8(),
        deviceClass: r.u8(),
        deviceSubclass: r.u8(),
        deviceProtocol: r.u8(),
        vendorId: r.u16(),
        productId: r.u16(),
        deviceVersionBcd: wire.deviceVersion ? r.u16() : 0,
      };
    case 'interfaceInfo': {
      const count = r.u32();
      if (count > MAX_INTERFACES) throw protocolError(`interface_info with interface_count ${count} > 32`);
      const col = (c: number, i: number) => header[4 + c * MAX_INTERFACES + i]!;
      const interfaces = Array.from({ length: count }, (_, i) => ({
        number: col(0, i),
        interfaceClass: col(1, i),
        interfaceSubclass: col(2, i),
        interfaceProtocol: col(3, i),
      }));
      return { type, id, interfaces };
    }
    case 'epInfo': {
      const n = ENDPOINT_SLOTS;
      const hasMps = wire.epInfoMaxPacketSize || wire.epInfoMaxStreams;
      const endpoints: EpInfoEntry[] = Array.from({ length: n }, (_, i) => {
        r.seek(3 * n + 2 * i);
        const maxPacketSize = hasMps ? r.u16() : 0;
        r.seek(5 * n + 4 * i);
        const maxStreams = wire.epInfoMaxStreams ? r.u32() : 0;
        return {
          type: header[i]!,
          interval: header[n + i]!,
          interfaceNumber: header[2 * n + i]!,
          maxPacketSize,
          maxStreams,
        };
      });
      return { type, id, endpoints };
    }
    case 'setConfiguration':
      return { type, id, configuration: r.u8() };
    case 'configurationStatus':
      return { type, id, status: r.u8(), configuration: r.u8() };
    case 'setAltSetting':
      return { type, id, interfaceNumber: r.u8(), alt: r.u8() };
    case 'getAltSetting':
      return { type, id, interfaceNumber: r.u8() };
    case 'altSettingStatus':
      return { type, id, status: r.u8(), interfaceNumber: r.u8(), alt: r.u8() };
    case 'startIsoStream':
      return { type, id, endpoint: r.u8(), pktsPerUrb: r.u8(), noUrbs: r.u8() };
    case 'stopIsoStream':
    case 'startInterruptReceiving':
    case 'stopInterruptReceiving':
      return { type, id, endpoint: r.u8() };
    case 'isoStreamStatus':
    case 'interruptReceivingStatus':
      return { type, id, status: r.u8(), endpoint: r.u8() };
    case 'allocBulkStreams':
      return { type, id, endpoints: r.u32(), noStreams: r.u32() };
    case 'freeBulkStreams':
      return { type, id, endpoints: r.u32() };
    case 'bulkStreamsStatus':
      return { type, id, endpoints: r.u32(), noStreams: r.u32(), status: r.u8() };
    case 'startBulkReceiving':
      return { type, id, streamId: r.u32(), bytesPerTransfer: r.u32(), endpoint: r.u8(), noTransfers: r.u8() };
    case 'stopBulkReceiving':
      return { type, id, streamId: r.u32(), endpoint: r.u8() };
    case 'bulkReceivingStatus':
      return { type, id, streamId: r.u32(), endpoint: r.u8(), status: r.u8() };
    case 'filterFilter': {
      if (data.length < 1 || data[data.length - 1] !== 0) throw protocolError('filter_filter rules not 0-terminated');
      return { type, id, rules: new TextDecoder().decode(data.subarray(0, data.length - 1)) };
    }
    case 'controlPacket': {
      const endpoint = r.u8();
      const request = r.u8();
      const requestType = r.u8();
      const status = r.u8();
      const value = r.u16();
      const index = r.u16();
      const length = r.u16();
      return { type, id, request, requestType, value, index, ...dataPacket(endpoint, status, length) };
    }
    case 'bulkPacket': {
      const endpoint = r.u8();
      const status = r.u8();
      const low = r.u16();
      const streamId = r.u32();
      const length = wire.bulkLength32 ? r.u16() * 0x10000 + low : low;
      return { type, id, streamId, ...dataPacket(endpoint, status, length) };
    }
    case 'isoPacket':
    case 'interruptPacket': {
      const endpoint = r.u8();
      const status = r.u8();
      const length = r.u16();
      return { type, id, ...dataPacket(endpoint, status, length) };
    }
    case 'bufferedBulkPacket': {
      const streamId = r.u32();
      const length = r.u32();
      const endpoint = r.u8();
      const status = r.u8();
      return { type, id, streamId, ...dataPacket(endpoint, status, length) };
    }
    case 'deviceDisconnect':
    case 'reset':
    case 'getConfiguration':
    case 'cancelDataPacket':
    case 'filterReject':
    case 'deviceDisconnectAck':
      return { type, id };
  }
}

/**
 * The data rule of the protocol: a packet travelling in its endpoint's data direction (OUT from the guest, IN from
 * the host) carries exactly `length` bytes; one travelling the other way (a request for IN data, a status for OUT
 * data) carries none, and iso/interrupt/buffered-bulk requests for IN data do not exist.
 */
function checkDataDirection(
  type: UsbRedirTypeName,
  endpoint: number,
  length: number,
  dataLength: number,
  peer: UsbRedirSide,
): void {
  const carriesData = isInEndpoint(endpoint) === (peer === 'host');
  const ep = `0x${endpoint.toString(16).padStart(2, '0')}`;
  if (carriesData) {
    if (dataLength !== length) {
      throw protocolError(`${type} on endpoint ${ep} carries ${dataLength} data bytes but says length ${length}`);
    }
    return;
  }
  if (dataLength !== 0) throw protocolError(`${type} on endpoint ${ep} carries ${dataLength} unexpected data bytes`);
  const wrongWay =
    type === 'isoPacket' || type === 'bufferedBulkPacket' || (type === 'interruptPacket' && peer === 'guest');
  if (wrongWay) throw protocolError(`${type} on endpoint ${ep} sent in the wrong direction`);
}

export interface DecoderOptions {
  /** Which side the bytes come from: the types the other side alone may send are refused. */
  readonly peer: UsbRedirSide;
  /** Our hello's capabilities: with the peer's, they fix the wire format after its hello. */
  readonly ourCaps: number;
  readonly maxDataLength?: number;
  /**
   * The peer's capabilities when it will send no hello (a migrated QEMU resumes its parser's state): decoding
   * starts in the negotiated format at once.
   */
  readonly resumePeerCaps?: number;
}

/**
 * A streaming decoder: `push` takes whatever chunk the socket gave and returns the whole messages it completed. It
 * keeps at most one message's bytes (header + its type's size + maxDataLength). After the first error it stays
 * failed: the stream's framing is lost.
 */
export class UsbRedirDecoder {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private wire: WireOptions;
  private peerHello: boolean;
  private failed: UpsguardError | null = null;
  private readonly maxData: number;

  constructor(private readonly options: DecoderOptions) {
    this.maxData = options.maxDataLength ?? DEFAULT_MAX_DATA;
    const resumed = options.resumePeerCaps !== undefined;
    this.peerHello = resumed;
    this.wire = resumed ? negotiateWire(options.ourCaps, options.resumePeerCaps ?? 0) : PRE_HELLO_WIRE;
  }

  /** The wire format now in force (after the peer's hello: the negotiated one). */
  get wireOptions(): WireOptions {
    return this.wire;
  }

  /** How many bytes wait for the rest of their message. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): UsbRedirMessage[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      // A plain view: a Node Buffer's slice() shares memory (and its .buffer is a whole pool), a Uint8Array's copies.
      this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.length;
    }
    const out: UsbRedirMessage[] = [];
    try {
      for (;;) {
        const m = this.next();
        if (!m) break;
        out.push(m);
      }
    } catch (err) {
      this.failed = err instanceof UpsguardError ? err : protocolError(`undecodable usbredir message: ${String(err)}`);
      this.chunks.length = 0;
      this.buffered = 0;
      throw this.failed;
    }
    return out;
  }

  private peek(n: number): Uint8Array {
    const first = this.chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    const joined = new Uint8Array(n);
    let at = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.length, n - at);
      joined.set(c.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    return joined;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  private next(): UsbRedirMessage | null {
    const wire = this.peerHello ? this.wire : PRE_HELLO_WIRE;
    const hdrLen = headerBytes(wire);
    if (this.buffered < hdrLen) return null;
    const hdr = new DataView(this.peek(hdrLen).slice().buffer);
    const code = hdr.getUint32(0, true);
    const length = hdr.getUint32(4, true);
    const type = TYPE_NAME_BY_CODE.get(code);
    if (type === undefined)
      throw protocolError(`unknown usbredir message type ${code} (length ${length})`, { code, length });
    if (!maySend(this.options.peer, type)) {
      throw protocolError(
        `usbredir ${type} (type ${code}, length ${length}) may not come from the ${this.options.peer}`,
        {
          code,
          length,
        },
      );
    }
    if (!this.peerHello && type !== 'hello') {
      throw protocolError(`usbredir ${type} (type ${code}, length ${length}) before the peer's hello`, {
        code,
        length,
      });
    }
    const typeLen = typeHeaderBytes(type, wire);
    const maxLen = typeLen + maxBodyExtra(type, this.maxData);
    if (length < typeLen || length > maxLen) {
      throw protocolError(
        `usbredir ${type} (type ${code}) with length ${length}: must be ${typeLen === maxLen ? typeLen : `${typeLen}..${maxLen}`}`,
        { code, length },
      );
    }
    if (this.buffered < hdrLen + length) return null;
    const id = wire.ids64 ? hdr.getBigUint64(8, true) : BigInt(hdr.getUint32(8, true));
    // A copy, so the message owns its bytes and never pins a large socket chunk.
    const body = this.peek(hdrLen + length).slice(hdrLen);
    this.consume(hdrLen + length);
    const message = decodeBody(type, id, body.subarray(0, typeLen), body.subarray(typeLen), wire, this.options.peer);
    if (message.type === 'hello' && !this.peerHello) {
      this.peerHello = true;
      this.wire = negotiateWire(this.options.ourCaps, message.caps[0] ?? 0);
    }
    return message;
  }
}
