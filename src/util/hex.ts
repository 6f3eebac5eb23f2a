/**
 * USB vendor and product ids as lsusb prints them: the one place a 16-bit id becomes hex text and back.
 */

/** Four lower-case hex digits: 0x051d is `051d`. Only the low 16 bits are printed. */
export function hex16(n: number): string {
  return (n & 0xffff).toString(16).padStart(4, '0');
}

/** `VVVV:PPPP`, as lsusb prints a device: `051d:0002`. */
export function usbId(vendorId: number, productId: number): string {
  return `${hex16(vendorId)}:${hex16(productId)}`;
}

const HEX16 = /^(?:0x)?([0-9a-f]{1,4})$/i;

/** One to four hex digits, optionally after `0x`, any case (`051d`, `0x051D`, `764`); null for anything else. */
export function parseHex16(text: string): number | null {
  const digits = HEX16.exec(text)?.[1];
  return digits === undefined ? null : Number.parseInt(digits, 16);
}
