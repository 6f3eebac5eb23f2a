import { parseHex16 } from '../util/hex.js';
import type { ExportedDevice } from './exported-device.js';

/**
 * Which exported device a client means: its name, `VVVV:PPPP`, `serial:S`, `path:1-1.4`, or empty for the only one.
 */
export function selectDevice(devices: readonly ExportedDevice[], selector: string): ExportedDevice | string {
  const s = selector.trim();
  if (s === '') {
    if (devices.length === 1) return devices[0]!;
    return `${devices.length} devices are exported; name one (${devices.map((d) => d.name).join(', ')})`;
  }
  const matches = devices.filter((d) => {
    if (d.name === s) return true;
    const info = d.info();
    const vidpid = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(s);
    if (vidpid) return info.vendorId === parseHex16(vidpid[1]!) && info.productId === parseHex16(vidpid[2]!);
    if (s.startsWith('serial:')) return info.serial?.trim() === s.slice(7);
    if (s.startsWith('path:')) return info.portPath === s.slice(5);
    return false;
  });
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) return `no exported device matches ${JSON.stringify(s)}`;
  return `${matches.length} devices match ${JSON.stringify(s)}; name one (${matches.map((d) => d.name).join(', ')})`;
}
