/**
 * The usbredir wire vocabulary (protocol description 0.7, usbredirproto.h): message types, capability bits, status,
 * speed and endpoint-type codes, and the typed message union the codec reads and writes. Pure: no I/O.
 */

export const USBREDIR_TYPE = {
  hello: 0,
  deviceConnect: 1,
  deviceDisconnect: 2,
  reset: 3,
  interfaceInfo: 4,
  epInfo: 5,
  setConfiguration: 6,
  getConfiguration: 7,
  configurationStatus: 8,
  setAltSetting: 9,
  getAltSetting: 10,
  altSettingStatus: 11,
  startIsoStream: 12,
  stopIsoStream: 13,
  isoStreamStatus: 14,
  startInterruptReceiving: 15,
  stopInterruptReceiving: 16,
  interruptReceivingStatus: 17,
  allocBulkStreams: 18,
  freeBulkStreams: 19,
  bulkStreamsStatus: 20,
  cancelDataPacket: 21,
  filterReject: 22,
  filterFilter: 23,
  deviceDisconnectAck: 24,
  startBulkReceiving: 25,
  stopBulkReceiving: 26,
  bulkReceivingStatus: 27,
  controlPacket: 100,
  bulkPacket: 101,
  isoPacket: 102,
  interruptPacket: 103,
  bufferedBulkPacket: 104,
} as const;
export type UsbRedirTypeName = keyof typeof USBREDIR_TYPE;

export const TYPE_NAME_BY_CODE: ReadonlyMap<number, UsbRedirTypeName> = new Map(
  (Object.entries(USBREDIR_TYPE) as [UsbRedirTypeName, number][]).map(([name, code]) => [code, name]),
);

/** Capability bit numbers in the hello's first capabilities word. */
export const USBREDIR_CAP = {
  bulkStreams: 0,
  connectDeviceVersion: 1,
  filter: 2,
  deviceDisconnectAck: 3,
  epInfoMaxPacketSize: 4,
  ids64: 5,
  bulkLength32: 6,
  bulkReceiving: 7,
} as const;
export type UsbRedirCapName = keyof typeof USBREDIR_CAP;

export function capsMask(names: readonly UsbRedirCapName[]): number {
  return names.reduce((mask, name) => (mask | (1 << USBREDIR_CAP[name])) >>> 0, 0);
}

export function hasCap(mask: number, name: UsbRedirCapName): boolean {
  return (mask & (1 << USBREDIR_CAP[name])) !== 0;
}

export const USBREDIR_STATUS = {
  success: 0,
  cancelled: 1,
  inval: 2,
  ioerror: 3,
  stall: 4,
  timeout: 5,
  babble: 6,
} as const;
export type UsbRedirStatusName = keyof typeof USBREDIR_STATUS;

export const USBREDIR_SPEED = { low: 0, full: 1, high: 2, super: 3, unknown: 255 } as const;

export const USBREDIR_EP_TYPE = { control: 0, isochronous: 1, bulk: 2, interrupt: 3, invalid: 255 } as const;

export const HELLO_VERSION_BYTES = 64;
/** ep_info and interface_info describe 32 slots: endpoints by (address & 0x0f) | (IN ? 16 : 0). */
export const ENDPOINT_SLOTS = 32;
export const MAX_INTERFACES = 32;

export function endpointSlot(address: number): number {
  return ((address & 0x80) >> 3) | (address & 0x0f);
}

export function slotAddress(slot: number): number {
  return ((slot & 0x10) << 3) | (slot & 0x0f);
}

export function isInEndpoint(address: number): boolean {
  return (address & 0x80) !== 0;
}

/**
 * What the negotiated capabilities change on the wire: a capability counts when both sides announced it. Before the
 * peer's hello every flag is false (the hello itself always travels with a 32-bit id).
 */
export interface WireOptions {
  readonly ids64: boolean;
  readonly deviceVersion: boolean;
  readonly epInfoMaxPacketSize: boolean;
  readonly epInfoMaxStreams: boolean;
  readonly bulkLength32: boolean;
}

export const PRE_HELLO_WIRE: WireOptions = {
  ids64: false,
  deviceVersion: false,
  epInfoMaxPacketSize: false,
  epInfoMaxStreams: false,
  bulkLength32: false,
};

export function negotiateWire(ourCaps: number, peerCaps: number): WireOptions {
  const both = (ourCaps & peerCaps) >>> 0;
  return {
    ids64: hasCap(both, 'ids64'),
    deviceVersion: hasCap(both, 'connectDeviceVersion'),
    epInfoMaxPacketSize: hasCap(both, 'epInfoMaxPacketSize'),
    epInfoMaxStreams: hasCap(both, 'bulkStreams'),
    bulkLength32: hasCap(both, 'bulkLength32'),
  };
}

export interface InterfaceInfoEntry {
  readonly number: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
}

export interface EpInfoEntry {
  readonly type: number;
  readonly interval: number;
  readonly interfaceNumber: number;
  readonly maxPacketSize: number;
  readonly maxStreams: number;
}

interface Base<T extends UsbRedirTypeName> {
  readonly type: T;
  /** The packet id: u32 on the wire unless both sides have cap 64bits_ids. */
  readonly id: bigint;
}

/** The data packets: `length` is the header's length field; `data` is empty or exactly `length` bytes. */
interface DataPacket<T extends UsbRedirTypeName> extends Base<T> {
  readonly endpoint: number;
  readonly status: number;
  readonly length: number;
  readonly data: Uint8Array;
}

export type UsbRedirMessage =
  | (Base<'hello'> & { readonly version: string; readonly caps: readonly number[] })
  | (Base<'deviceConnect'> & {
      readonly speed: number;
      readonly deviceClass: number;
      readonly deviceSubclass: number;
      readonly deviceProtocol: number;
      readonly vendorId: number;
      readonly productId: number;
      /** 0 on the wire without cap connect_device_version. */
      readonly deviceVersionBcd: number;
    })
  | Base<'deviceDisconnect'>
  | Base<'reset'>
  | (Base<'interfaceInfo'> & { readonly interfaces: readonly InterfaceInfoEntry[] })
  | (Base<'epInfo'> & { readonly endpoints: readonly EpInfoEntry[] })
  | (Base<'setConfiguration'> & { readonly configuration: number })
  | Base<'getConfiguration'>
  | (Base<'configurationStatus'> & { readonly status: number; readonly configuration: number })
  | (Base<'setAltSetting'> & { readonly interfaceNumber: number; readonly alt: number })
  | (Base<'getAltSetting'> & { readonly interfaceNumber: number })
  | (Base<'altSettingStatus'> & { readonly status: number; readonly interfaceNumber: number; readonly alt: number })
  | (Base<'startIsoStream'> & { readonly endpoint: number; readonly pktsPerUrb: number; readonly noUrbs: number })
  | (Base<'stopIsoStream'> & { readonly endpoint: number })
  | (Base<'isoStreamStatus'> & { readonly status: number; readonly endpoint: number })
  | (Base<'startInterruptReceiving'> & { readonly endpoint: number })
  | (Base<'stopInterruptReceiving'> & { readonly endpoint: number })
  | (Base<'interruptReceivingStatus'> & { readonly status: number; readonly endpoint: number })
  | (Base<'allocBulkStreams'> & { readonly endpoints: number; readonly noStreams: number })
  | (Base<'freeBulkStreams'> & { readonly endpoints: number })
  | (Base<'bulkStreamsStatus'> & { readonly endpoints: number; readonly noStreams: number; readonly status: number })
  | Base<'cancelDataPacket'>
  | Base<'filterReject'>
  | (Base<'filterFilter'> & { readonly rules: string })
  | Base<'deviceDisconnectAck'>
  | (Base<'startBulkReceiving'> & {
      readonly streamId: number;
      readonly bytesPerTransfer: number;
      readonly endpoint: number;
      readonly noTransfers: number;
    })
  | (Base<'stopBulkReceiving'> & { readonly streamId: number; readonly endpoint: number })
  | (Base<'bulkReceivingStatus'> & { readonly streamId: number; readonly endpoint: number; readonly status: number })
  | (DataPacket<'controlPacket'> & {
      readonly request: number;
      readonly requestType: number;
      readonly value: number;
      readonly index: number;
    })
  | (DataPacket<'bulkPacket'> & { readonly streamId: number })
  | DataPacket<'isoPacket'>
  | DataPacket<'interruptPacket'>
  | (DataPacket<'bufferedBulkPacket'> & { readonly streamId: number });

export type UsbRedirMessageOf<T extends UsbRedirTypeName> = Extract<UsbRedirMessage, { type: T }>;

/** Which side may send a type: a type from the wrong side is a protocol error, as in usbredirparser. */
export type UsbRedirSide = 'host' | 'guest';
const HOST_ONLY: ReadonlySet<UsbRedirTypeName> = new Set([
  'deviceConnect',
  'deviceDisconnect',
  'interfaceInfo',
  'epInfo',
  'configurationStatus',
  'altSettingStatus',
  'isoStreamStatus',
  'interruptReceivingStatus',
  'bulkStreamsStatus',
  'bulkReceivingStatus',
  'bufferedBulkPacket',
]);
const BOTH_SIDES: ReadonlySet<UsbRedirTypeName> = new Set([
  'hello',
  'filterFilter',
  'controlPacket',
  'bulkPacket',
  'isoPacket',
  'interruptPacket',
]);

export function maySend(side: UsbRedirSide, type: UsbRedirTypeName): boolean {
  if (BOTH_SIDES.has(type)) return true;
  return HOST_ONLY.has(type) === (side === 'host');
}
