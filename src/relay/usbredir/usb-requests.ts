import type { UsbControlSetup } from './usb-device.js';

/** The fields of a SETUP packet's bmRequestType and the request codes a HID device answers (USB 2.0 §9.3, §9.4). */

export type RequestKind = 'standard' | 'class' | 'vendor' | 'reserved';
export type RequestRecipient = 'device' | 'interface' | 'endpoint' | 'other';

export interface DecodedSetup {
  readonly in: boolean;
  readonly kind: RequestKind;
  readonly recipient: RequestRecipient;
}

export const StandardRequest = {
  GetStatus: 0x00,
  ClearFeature: 0x01,
  SetFeature: 0x03,
  SetAddress: 0x05,
  GetDescriptor: 0x06,
  SetDescriptor: 0x07,
  GetConfiguration: 0x08,
  SetConfiguration: 0x09,
  GetInterface: 0x0a,
  SetInterface: 0x0b,
  SynchFrame: 0x0c,
} as const;

/** HID 1.11 §7.2. */
export const HidRequest = {
  GetReport: 0x01,
  GetIdle: 0x02,
  GetProtocol: 0x03,
  SetReport: 0x09,
  SetIdle: 0x0a,
  SetProtocol: 0x0b,
} as const;

/** wValue's high byte in GET_REPORT / SET_REPORT. */
export const HidReportType = { Input: 1, Output: 2, Feature: 3 } as const;

export const FeatureSelector = { EndpointHalt: 0, DeviceRemoteWakeup: 1 } as const;

const KINDS: readonly RequestKind[] = ['standard', 'class', 'vendor', 'reserved'];

export function decodeSetup(setup: UsbControlSetup): DecodedSetup {
  const r = setup.requestType & 0x1f;
  return {
    in: (setup.requestType & 0x80) !== 0,
    kind: KINDS[(setup.requestType >> 5) & 0x03]!,
    recipient: r === 0 ? 'device' : r === 1 ? 'interface' : r === 2 ? 'endpoint' : 'other',
  };
}

/** An IN answer cut to what the host asked for: a shorter answer is a normal short packet (USB 2.0 §8.5.3.2). */
export function truncateTo(data: Uint8Array, length: number): Uint8Array {
  return data.length > length ? data.subarray(0, length) : data;
}
