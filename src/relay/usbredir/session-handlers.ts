import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { statusCode } from './device-messages.js';
import {
  USBREDIR_STATUS,
  isInEndpoint,
  type UsbRedirCapName,
  type UsbRedirMessage,
  type UsbRedirMessageOf,
} from './protocol.js';
import type { UsbEndpointType, UsbRedirDevice, UsbTransferResult } from './usb-device.js';

/**
 * What the usb-guest (QEMU) asks of the usb-host, message by message. The session owns the stream and the state;
 * these functions map each request onto the UsbRedirDevice and send the answer the protocol gives it.
 */

export interface SessionCore {
  readonly device: UsbRedirDevice;
  readonly log: Logger;
  readonly name: string;
  /** Bumped on each device disconnect: an answer for a transfer of an older generation is dropped. */
  readonly generation: number;
  readonly deviceShown: boolean;
  send(m: UsbRedirMessage): void;
  peerHas(cap: UsbRedirCapName): boolean;
  onCancel(id: bigint, cancel: () => void): () => void;
  cancel(id: bigint): boolean;
  startReceiver(endpoint: number): void;
  stopReceiver(endpoint: number): boolean;
  stopReceiversWhere(match: (endpoint: number) => boolean): void;
  sendInterfaceAndEpInfo(): void;
  deviceAcknowledged(): void;
}

const EMPTY = new Uint8Array(0);
const { success: SUCCESS, cancelled: CANCELLED, inval: INVAL, ioerror: IOERROR, stall: STALL } = USBREDIR_STATUS;

const loggedOnce = new WeakMap<SessionCore, Set<string>>();
function warnOnce(s: SessionCore, key: string, message: string): void {
  const seen = loggedOnce.get(s) ?? new Set<string>();
  loggedOnce.set(s, seen);
  if (seen.has(key)) return;
  seen.add(key);
  s.log.warn({ session: s.name, device: s.device.name }, message);
}

function hex(ep: number): string {
  return `0x${ep.toString(16).padStart(2, '0')}`;
}

/** Runs a device call without letting its failure escape: a throwing device is logged and answered by `onError`. */
function spawn(s: SessionCore, what: string, work: () => Promise<void>, onError: () => void): void {
  work().catch((err: unknown) => {
    s.log.warn({ session: s.name, device: s.device.name, err: errorMessage(err) }, `usbredir ${what} failed`);
    onError();
  });
}

function endpointOf(s: SessionCore, address: number, type: UsbEndpointType): boolean {
  if (!s.device.isConnected()) return false;
  return s.device.description().endpoints.some((e) => e.address === address && e.type === type);
}

/**
 * A data transfer that may be cancelled: exactly one answer goes back, the device's or `cancelled`, and none if the
 * device went away meanwhile (the disconnect already answered it).
 */
function transfer(
  s: SessionCore,
  id: bigint,
  reply: (status: number, data: Uint8Array) => UsbRedirMessage,
  work: () => Promise<UsbTransferResult>,
): void {
  if (!s.deviceShown) {
    s.send(reply(IOERROR, EMPTY));
    return;
  }
  const generation = s.generation;
  let answered = false;
  const unregister = s.onCancel(id, () => {
    if (answered) return;
    answered = true;
    s.send(reply(CANCELLED, EMPTY));
  });
  const finish = (status: number, data: Uint8Array) => {
    unregister();
    if (answered || generation !== s.generation) return;
    answered = true;
    s.send(reply(status, data));
  };
  spawn(
    s,
    `transfer ${id}`,
    async () => {
      const result = await work();
      finish(statusCode(result.status), result.data ?? EMPTY);
    },
    () => finish(IOERROR, EMPTY),
  );
}

function control(s: SessionCore, m: UsbRedirMessageOf<'controlPacket'>): void {
  const isIn = isInEndpoint(m.endpoint);
  const reply = (status: number, data: Uint8Array): UsbRedirMessage => {
    const inData = isIn ? data.subarray(0, m.length) : EMPTY;
    const length = isIn ? inData.length : status === SUCCESS ? m.length : 0;
    return { ...m, status, length, data: inData };
  };
  if ((m.endpoint & 0x7f) !== 0 || isIn !== ((m.requestType & 0x80) !== 0)) {
    s.send(reply(INVAL, EMPTY));
    return;
  }
  const setup = { requestType: m.requestType, request: m.request, value: m.value, index: m.index, length: m.length };
  transfer(s, m.id, reply, () => s.device.control(setup, isIn ? EMPTY : m.data));
}

function bulk(s: SessionCore, m: UsbRedirMessageOf<'bulkPacket'>): void {
  const isIn = isInEndpoint(m.endpoint);
  const reply = (status: number, data: Uint8Array): UsbRedirMessage => {
    const inData = isIn ? data.subarray(0, m.length) : EMPTY;
    const length = isIn ? inData.length : status === SUCCESS ? m.length : 0;
    return { ...m, status, length, data: inData };
  };
  if (m.streamId !== 0 || !endpointOf(s, m.endpoint, 'bulk')) {
    s.send(reply(INVAL, EMPTY));
    return;
  }
  transfer(s, m.id, reply, () => s.device.bulk(m.endpoint, isIn ? EMPTY : m.data, m.length));
}

function interruptOut(s: SessionCore, m: UsbRedirMessageOf<'interruptPacket'>): void {
  const reply = (status: number): UsbRedirMessage => ({
    ...m,
    status,
    length: status === SUCCESS ? m.length : 0,
    data: EMPTY,
  });
  if (!endpointOf(s, m.endpoint, 'interrupt')) {
    s.send(reply(INVAL));
    return;
  }
  transfer(
    s,
    m.id,
    (status) => reply(status),
    async () => ({
      status: await s.device.interruptOut(m.endpoint, m.data),
      data: EMPTY,
    }),
  );
}

/** A request answered by one status message, dropped if the device went away before it finished. */
function statusRequest(
  s: SessionCore,
  what: string,
  work: () => Promise<UsbRedirMessage>,
  failed: () => UsbRedirMessage,
): void {
  if (!s.deviceShown) {
    s.send(failed());
    return;
  }
  const generation = s.generation;
  spawn(
    s,
    what,
    async () => {
      const answer = await work();
      if (generation === s.generation) s.send(answer);
    },
    () => {
      if (generation === s.generation) s.send(failed());
    },
  );
}

function setConfiguration(s: SessionCore, m: UsbRedirMessageOf<'setConfiguration'>): void {
  const status = (code: number): UsbRedirMessage => ({
    type: 'configurationStatus',
    id: m.id,
    status: code,
    configuration: s.device.isConnected() ? s.device.getConfiguration() : 0,
  });
  statusRequest(
    s,
    `set_configuration ${m.configuration}`,
    async () => {
      s.stopReceiversWhere(() => true);
      const result = statusCode(await s.device.setConfiguration(m.configuration));
      if (result === SUCCESS) s.sendInterfaceAndEpInfo();
      return status(result);
    },
    () => status(IOERROR),
  );
}

function setAltSetting(s: SessionCore, m: UsbRedirMessageOf<'setAltSetting'>): void {
  const status = (code: number): UsbRedirMessage => ({
    type: 'altSettingStatus',
    id: m.id,
    status: code,
    interfaceNumber: m.interfaceNumber,
    alt: s.device.isConnected() ? s.device.getAltSetting(m.interfaceNumber) : 0xff,
  });
  statusRequest(
    s,
    `set_alt_setting ${m.interfaceNumber}/${m.alt}`,
    async () => {
      const onInterface = new Set(
        s.device
          .description()
          .endpoints.filter((e) => e.interfaceNumber === m.interfaceNumber)
          .map((e) => e.address),
      );
      s.stopReceiversWhere((ep) => onInterface.has(ep));
      const result = statusCode(await s.device.setAltSetting(m.interfaceNumber, m.alt));
      if (result === SUCCESS) s.sendInterfaceAndEpInfo();
      return status(result);
    },
    () => status(IOERROR),
  );
}

function getAltSetting(s: SessionCore, m: UsbRedirMessageOf<'getAltSetting'>): void {
  const known = s.deviceShown && s.device.description().interfaces.some((i) => i.number === m.interfaceNumber);
  s.send({
    type: 'altSettingStatus',
    id: m.id,
    status: known ? SUCCESS : s.deviceShown ? INVAL : IOERROR,
    interfaceNumber: m.interfaceNumber,
    alt: known ? s.device.getAltSetting(m.interfaceNumber) : 0xff,
  });
}

function startInterruptReceiving(s: SessionCore, m: UsbRedirMessageOf<'startInterruptReceiving'>): void {
  const ok = s.deviceShown && isInEndpoint(m.endpoint) && endpointOf(s, m.endpoint, 'interrupt');
  if (ok) s.startReceiver(m.endpoint);
  else
    warnOnce(
      s,
      `int-${m.endpoint}`,
      `usbredir guest asked to receive on ${hex(m.endpoint)}, not an interrupt IN endpoint`,
    );
  s.send({ type: 'interruptReceivingStatus', id: m.id, status: ok ? SUCCESS : INVAL, endpoint: m.endpoint });
}

export function handleGuestMessage(s: SessionCore, m: UsbRedirMessage): void {
  switch (m.type) {
    case 'hello':
      warnOnce(s, 'hello', 'usbredir peer sent a second hello; ignored');
      return;
    case 'reset':
      if (s.deviceShown)
        spawn(
          s,
          'reset',
          () => s.device.reset(),
          () => undefined,
        );
      return;
    case 'setConfiguration':
      setConfiguration(s, m);
      return;
    case 'getConfiguration':
      s.send({
        type: 'configurationStatus',
        id: m.id,
        status: s.deviceShown ? SUCCESS : IOERROR,
        configuration: s.deviceShown ? s.device.getConfiguration() : 0,
      });
      return;
    case 'setAltSetting':
      setAltSetting(s, m);
      return;
    case 'getAltSetting':
      getAltSetting(s, m);
      return;
    case 'startInterruptReceiving':
      startInterruptReceiving(s, m);
      return;
    case 'stopInterruptReceiving':
      s.stopReceiver(m.endpoint);
      s.send({ type: 'interruptReceivingStatus', id: m.id, status: SUCCESS, endpoint: m.endpoint });
      return;
    case 'controlPacket':
      control(s, m);
      return;
    case 'bulkPacket':
      bulk(s, m);
      return;
    case 'interruptPacket':
      interruptOut(s, m);
      return;
    case 'cancelDataPacket':
      s.cancel(m.id);
      return;
    case 'deviceDisconnectAck':
      s.deviceAcknowledged();
      return;
    case 'filterReject':
      s.log.warn({ session: s.name, device: s.device.name }, 'usbredir guest rejected the device (its filter)');
      return;
    case 'filterFilter':
      s.log.info({ session: s.name, device: s.device.name, rules: m.rules }, 'usbredir guest sent its device filter');
      return;
    // Isochronous and bulk streams are out of scope: refused with the status that stops the guest asking again.
    case 'startIsoStream':
    case 'isoPacket':
      warnOnce(s, `iso-${m.endpoint}`, `usbredir isochronous transfer on ${hex(m.endpoint)} refused (not supported)`);
      s.send({ type: 'isoStreamStatus', id: m.id, status: STALL, endpoint: m.endpoint });
      return;
    case 'stopIsoStream':
      s.send({ type: 'isoStreamStatus', id: m.id, status: SUCCESS, endpoint: m.endpoint });
      return;
    case 'allocBulkStreams':
    case 'freeBulkStreams':
      warnOnce(s, 'streams', 'usbredir bulk streams refused (not supported)');
      s.send({
        type: 'bulkStreamsStatus',
        id: m.id,
        endpoints: m.endpoints,
        noStreams: m.type === 'allocBulkStreams' ? m.noStreams : 0,
        status: INVAL,
      });
      return;
    case 'startBulkReceiving':
    case 'stopBulkReceiving':
      warnOnce(s, 'bulk-receiving', 'usbredir bulk receiving refused (not announced)');
      s.send({
        type: 'bulkReceivingStatus',
        id: m.id,
        streamId: m.streamId,
        endpoint: m.endpoint,
        status: m.type === 'startBulkReceiving' ? STALL : SUCCESS,
      });
      return;
    // Only a usb-host sends these; the decoder refuses them from a guest, so reaching here is a bug of ours.
    case 'deviceConnect':
    case 'deviceDisconnect':
    case 'interfaceInfo':
    case 'epInfo':
    case 'configurationStatus':
    case 'altSettingStatus':
    case 'isoStreamStatus':
    case 'interruptReceivingStatus':
    case 'bulkStreamsStatus':
    case 'bulkReceivingStatus':
    case 'bufferedBulkPacket':
      warnOnce(s, `host-${m.type}`, `usbredir ${m.type} from a guest ignored`);
      return;
  }
}
