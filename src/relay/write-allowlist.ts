import { parseReportDescriptor } from '../ups/hid/descriptor-parser.js';
import { APC_USAGES, usageCode } from '../ups/hid/usage-tables.js';

/**
 * The writable usages a relay client may set: the UPS's delays (load-off and restart), its battery test and its
 * beeper. Nothing else, and never a vendor page except APC's documented native shutdown.return field.
 */
export const WRITABLE_USAGES: ReadonlySet<number> = new Set([
  usageCode('DelayBeforeReboot'),
  usageCode('DelayBeforeStartup'),
  usageCode('DelayBeforeShutdown'),
  usageCode('Test'),
  usageCode('AudibleAlarmControl'),
  usageCode('APCDelayBeforeReboot', APC_USAGES), // Back-UPS native shutdown.return
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
