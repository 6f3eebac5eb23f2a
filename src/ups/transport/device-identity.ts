/**
 * Recognising the same UPS after a re-plug, when its device number has changed: VID:PID plus a meaningful serial,
 * else VID:PID plus the USB port path. The report descriptor's hash confirms it.
 */
import { BATTERY_SYSTEM_PAGE, POWER_DEVICE_PAGE } from '../hid/usage-tables.js';
import { hex16, usbId } from '../../util/hex.js';

export interface IdentityInput {
  readonly vendorId: number;
  readonly productId: number;
  readonly serial?: string;
  readonly portPath?: string;
}

export interface DeviceSelector {
  readonly vendorId?: number;
  readonly productId?: number;
  readonly serial?: string;
  /** A USB port path such as `1-1.4`, or a hidraw node such as `/dev/hidraw0`. */
  readonly path?: string;
}

/** Serials that firmware ships as placeholders (Eaton Ellipse ECO sends `000000000`). */
const PLACEHOLDER_SERIALS = new Set(['', 'none', 'unknown', 'n/a', '123456789', 'serial']);

export function isMeaningfulSerial(serial: string | undefined, sameSerialCount = 1): serial is string {
  if (serial === undefined) return false;
  const s = serial.trim();
  if (PLACEHOLDER_SERIALS.has(s.toLowerCase())) return false;
  if (/^[0\s]*$/.test(s) || /^[*\s]+$/.test(s)) return false;
  // Two attached units answering the same serial cannot be told apart by it.
  return sameSerialCount <= 1;
}

export function identityKey(d: IdentityInput, sameSerialCount = 1): string {
  const base = usbId(d.vendorId, d.productId);
  if (isMeaningfulSerial(d.serial, sameSerialCount)) return `${base}/serial:${d.serial.trim()}`;
  return `${base}/port:${d.portPath ?? 'unknown'}`;
}

export function matchesSelector(d: IdentityInput & { location?: string }, sel: DeviceSelector): boolean {
  if (sel.vendorId !== undefined && d.vendorId !== sel.vendorId) return false;
  if (sel.productId !== undefined && d.productId !== sel.productId) return false;
  if (sel.serial !== undefined && d.serial?.trim() !== sel.serial) return false;
  if (sel.path !== undefined && sel.path !== d.portPath && sel.path !== d.location) return false;
  return true;
}

export function describeSelector(sel: DeviceSelector): string {
  const parts: string[] = [];
  if (sel.vendorId !== undefined || sel.productId !== undefined) {
    parts.push(
      `${sel.vendorId === undefined ? '*' : hex16(sel.vendorId)}:${sel.productId === undefined ? '*' : hex16(sel.productId)}`,
    );
  }
  if (sel.serial !== undefined) parts.push(`serial ${sel.serial}`);
  if (sel.path !== undefined) parts.push(`path ${sel.path}`);
  return parts.length ? parts.join(', ') : 'any UPS';
}

/** USB Power Device class devices: HID usage page 0x84 (Power Device) or 0x85 (Battery System). */
export function looksLikeUps(usagePage: number | undefined): boolean {
  return usagePage === POWER_DEVICE_PAGE || usagePage === BATTERY_SYSTEM_PAGE;
}
