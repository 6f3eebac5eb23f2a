import { ErrorCode, UpsguardError } from '../../errors.js';

/** Six bytes from `aa:bb:cc:dd:ee:ff` or `aa-bb-…`; a typed error naming the text otherwise. */
export function parseMac(text: string): Buffer {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9A-Fa-f]{2}$/.test(p))) {
    throw new UpsguardError(ErrorCode.ConfigInvalid, `not a MAC address: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** The Wake-on-LAN magic packet: six 0xFF bytes, then the MAC sixteen times (102 bytes). */
export function magicPacket(mac: string): Buffer {
  const m = parseMac(mac);
  const out = Buffer.alloc(6 + 16 * 6, 0xff);
  for (let i = 0; i < 16; i++) m.copy(out, 6 + i * 6);
  return out;
}

/** The MAC a magic packet wakes, or null when the bytes are not one (a listener's check). */
export function macOfMagicPacket(packet: Buffer): string | null {
  if (packet.length < 102 || !packet.subarray(0, 6).every((b) => b === 0xff)) return null;
  const mac = packet.subarray(6, 12);
  for (let i = 1; i < 16; i++) if (!packet.subarray(6 + i * 6, 12 + i * 6).equals(mac)) return null;
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
