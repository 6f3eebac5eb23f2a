import { parseReportDescriptor } from '../ups/hid/descriptor-parser.js';

/**
 * The writable usages a relay client may set: the UPS's delays (load-off and restart), its battery test and its
 * beeper. Nothing else, and never a vendor page except APC's documented native shutdown.return field.
 */
export const WRITABLE_USAGES: ReadonlySet<number> = new Set([
  0x840055, // DelayBeforeReboot
  0x840056, // DelayBeforeStartup
  0x840057, // DelayBeforeShutdown
  0x840058, // Test
  0x84005a, // AudibleAlarmControl
  0xff86007c, // APC APCDelayBeforeReboot (Back-UPS native shutdown.return)
]);

/** Feature report IDs that carry an allow-listed usage, from the device's own descriptor. */
export function writableReportIds(descriptor: Uint8Array): Set<number> {
  const ids = new Set<number>();
  try {
    for (const f of parseReportDescriptor(descriptor).fields) {
      if (f.type === 'feature' && WRITABLE_USAGES.has(f.usage)) ids.add(f.reportId);
    }
  } catch {
    // A descriptor we cannot parse gets no writes at all.
  }
  return ids;
}
