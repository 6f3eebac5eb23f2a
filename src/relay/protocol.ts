import { ErrorCode, UpsguardError } from '../errors.js';

/**
 * The relay's own framing, at the HID-report level, carried inside TLS 1.3:
 *
 *   u32 length (big-endian, of what follows) | u8 type | u32 request id (0 = unsolicited) | JSON payload (UTF-8)
 *
 * Report bytes travel as hex strings (hidraw convention: byte 0 is the report ID). JSON keeps the codec small and
 * the messages readable in a capture; the frames are tiny, so its cost does not show against TLS.
 */
export const PROTOCOL_VERSION = 1;
export const MAX_FRAME_BYTES = 64 * 1024;
const HEADER_BYTES = 4 + 1 + 4;

export const MessageType = {
  Hello: 1,
  Welcome: 2,
  ListDevices: 3,
  Devices: 4,
  Open: 5,
  Opened: 6,
  GetFeature: 7,
  Report: 8,
  SetFeature: 9,
  Ok: 10,
  Subscribe: 11,
  Subscribed: 12,
  Input: 13,
  DeviceEvent: 14,
  Ping: 15,
  Pong: 16,
  Error: 17,
  GetString: 18,
  StringValue: 19,
  Release: 20,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
const TYPE_NAMES = new Map<number, string>(Object.entries(MessageType).map(([k, v]) => [v, k]));

export type OpenMode = 'observe' | 'control';
export type DeviceState = 'available' | 'attaching' | 'attached' | 'failed' | 'missing';

/** A device as the agent exports it (inventory row). */
export interface ExportedDeviceInfo {
  name: string;
  identity: string;
  vendorId: number;
  productId: number;
  manufacturer: string | null;
  product: string | null;
  serial: string | null;
  portPath: string | null;
  bus: number | null;
  deviceNumber: number | null;
  state: DeviceState;
  /** PSK identity of the controller holding the claim, if any. */
  controller: string | null;
  leaseUntil: string | null;
  stateChangedAt: string;
}

export interface HostUsbDeviceInfo {
  bus: number;
  deviceNumber: number;
  portPath: string;
  vendorId: number;
  productId: number;
  manufacturer: string | null;
  product: string | null;
  isHid: boolean;
  claim: string;
}

export interface Payloads {
  [MessageType.Hello]: { versions: number[]; client: string; capabilities: string[] };
  [MessageType.Welcome]: {
    version: number;
    agentHost: string;
    agentInstance: string;
    identity: string;
    capabilities: string[];
  };
  [MessageType.ListDevices]: Record<string, never>;
  /** `host`: every USB device on the agent's host, as `upsguard devices` lists them there. */
  [MessageType.Devices]: { devices: ExportedDeviceInfo[]; host: HostUsbDeviceInfo[] };
  [MessageType.Open]: { selector: string; mode: OpenMode };
  [MessageType.Opened]: {
    handle: number;
    device: ExportedDeviceInfo;
    descriptor: string;
    descriptorSha256: string;
    connected: boolean;
    seq: number;
  };
  [MessageType.GetFeature]: { handle: number; reportId: number; length: number };
  [MessageType.Report]: { bytes: string };
  [MessageType.SetFeature]: { handle: number; bytes: string };
  [MessageType.Ok]: Record<string, never>;
  [MessageType.Subscribe]: { handle: number; since: number | null; agentInstance: string | null };
  [MessageType.Subscribed]: { resumed: boolean; seq: number };
  [MessageType.Input]: { handle: number; seq: number; at: number; bytes: string };
  [MessageType.DeviceEvent]: { handle: number; kind: 'attached' | 'detached' | 'replugged'; reason: string };
  [MessageType.Ping]: { t: number };
  [MessageType.Pong]: { t: number };
  [MessageType.Error]: { code: RelayErrorCode; message: string };
  [MessageType.GetString]: { handle: number; index: number };
  [MessageType.StringValue]: { value: string | null };
  [MessageType.Release]: { handle: number };
}

export type RelayErrorCode =
  | 'BAD_FRAME'
  | 'BAD_REQUEST'
  | 'UNSUPPORTED_VERSION'
  | 'NO_DEVICE'
  | 'DEVICE_DETACHED'
  | 'CLAIM_BUSY'
  | 'NOT_CONTROLLER'
  | 'WRITE_DENIED'
  | 'IO'
  | 'TIMEOUT';

export interface Frame<T extends MessageType = MessageType> {
  type: T;
  requestId: number;
  payload: Payloads[T];
}

export class RelayProtocolError extends UpsguardError {
  constructor(
    readonly relayCode: RelayErrorCode,
    message: string,
  ) {
    super(ErrorCode.RelayProtocol, message, { relayCode });
  }
}

export function encodeFrame<T extends MessageType>(type: T, requestId: number, payload: Payloads[T]): Buffer {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const length = 1 + 4 + body.length;
  if (length > MAX_FRAME_BYTES)
    throw new RelayProtocolError('BAD_FRAME', `frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const out = Buffer.allocUnsafe(4 + length);
  out.writeUInt32BE(length, 0);
  out.writeUInt8(type, 4);
  out.writeUInt32BE(requestId >>> 0, 5);
  body.copy(out, HEADER_BYTES);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0, max = 0xffffffff): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isHex = (v: unknown, maxBytes: number): v is string =>
  typeof v === 'string' && v.length % 2 === 0 && v.length <= maxBytes * 2 && /^[0-9a-f]*$/.test(v);

/**
 * Checks the payload's shape for the types a peer may send us; anything else is a BAD_FRAME that names the field.
 * The agent and the client both call this, so neither trusts the other's JSON.
 */
function checkPayload(type: MessageType, p: unknown): string | null {
  if (!isObject(p)) return 'payload is not an object';
  switch (type) {
    case MessageType.Hello:
      if (!Array.isArray(p.versions) || !p.versions.every((v) => isInt(v, 1, 1000))) return 'versions';
      if (typeof p.client !== 'string' || p.client.length > 200) return 'client';
      return Array.isArray(p.capabilities) ? null : 'capabilities';
    case MessageType.Open:
      if (typeof p.selector !== 'string' || p.selector.length > 200) return 'selector';
      return p.mode === 'observe' || p.mode === 'control' ? null : 'mode';
    case MessageType.GetFeature:
      if (!isInt(p.handle)) return 'handle';
      if (!isInt(p.reportId, 0, 255)) return 'reportId';
      return isInt(p.length, 1, 4096) ? null : 'length';
    case MessageType.SetFeature:
      if (!isInt(p.handle)) return 'handle';
      return isHex(p.bytes, 4096) && p.bytes.length >= 2 ? null : 'bytes';
    case MessageType.Subscribe:
      if (!isInt(p.handle)) return 'handle';
      if (p.since !== null && !isInt(p.since, 0, Number.MAX_SAFE_INTEGER)) return 'since';
      return p.agentInstance === null || typeof p.agentInstance === 'string' ? null : 'agentInstance';
    case MessageType.Ping:
    case MessageType.Pong:
      return typeof p.t === 'number' ? null : 't';
    case MessageType.GetString:
      if (!isInt(p.handle)) return 'handle';
      return isInt(p.index, 1, 255) ? null : 'index';
    case MessageType.Release:
      return isInt(p.handle) ? null : 'handle';
    case MessageType.Input:
      if (!isInt(p.seq, 0, Number.MAX_SAFE_INTEGER)) return 'seq';
      return isHex(p.bytes, 4096) ? null : 'bytes';
    case MessageType.Report:
      return isHex(p.bytes, 4096) ? null : 'bytes';
    case MessageType.Error:
      return typeof p.code === 'string' && typeof p.message === 'string' ? null : 'code';
    default:
      return null;
  }
}

/**
 * Splits a byte stream into frames. Feed it whatever the socket delivers; it yields whole frames and throws a
 * RelayProtocolError (BAD_FRAME) for an oversized, unknown or malformed one, after which the connection must close.
 */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffer.length < 4) break;
      const length = this.buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        throw new RelayProtocolError(
          'BAD_FRAME',
          `frame length ${length} exceeds the maximum of ${MAX_FRAME_BYTES} bytes`,
        );
      }
      if (length < 5) throw new RelayProtocolError('BAD_FRAME', `frame length ${length} is shorter than its header`);
      if (this.buffer.length < 4 + length) break;
      const type = this.buffer.readUInt8(4);
      const requestId = this.buffer.readUInt32BE(5);
      const body = this.buffer.subarray(HEADER_BYTES, 4 + length);
      this.buffer = this.buffer.subarray(4 + length);
      if (!TYPE_NAMES.has(type)) throw new RelayProtocolError('BAD_FRAME', `unknown message type ${type}`);
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        throw new RelayProtocolError('BAD_FRAME', `${TYPE_NAMES.get(type) ?? type} payload is not valid JSON`);
      }
      const bad = checkPayload(type as MessageType, payload);
      if (bad !== null) {
        throw new RelayProtocolError('BAD_FRAME', `${TYPE_NAMES.get(type) ?? type} payload: invalid ${bad}`);
      }
      frames.push({ type: type as MessageType, requestId, payload: payload as Payloads[MessageType] });
    }
    return frames;
  }
}

export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `type ${type}`;
}

export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
