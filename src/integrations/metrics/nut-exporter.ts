import type { UpsSnapshot } from '../../ups/events.js';
import { metricName, type Sample } from './samples.js';

/**
 * The UPS readings under the names of DRuggeri's nut_exporter (the NUT exporter most Grafana dashboards are built
 * on), so a dashboard made for it works on upsguard unchanged: `network_ups_tools_<variable, . and - as _>`, the
 * status as one series per flag, and `device_info` with the device.* strings as labels. nut_exporter scrapes one UPS
 * per target and gets the `ups` label from the scrape config; upsguard serves every UPS on one endpoint, so it sets
 * that `ups` label itself (what those dashboards filter on: `{ups="$ups"}`).
 */
export const NUT_EXPORTER_NAMESPACE = 'network_ups_tools';

/** nut_exporter's default `--nut.statuses`: always exported, 0 when not set, so alerts on `== 0` work. */
export const NUT_EXPORTER_STATUSES: readonly string[] = [
  'OL',
  'OB',
  'LB',
  'HB',
  'RB',
  'CHRG',
  'DISCHRG',
  'BYPASS',
  'CAL',
  'OFF',
  'OVER',
  'TRIM',
  'BOOST',
  'FSD',
  'SD',
];

/** nut_exporter's device_info labels, in its order: the device.* variable of each name. */
export const DEVICE_INFO_LABELS: readonly string[] = [
  'model',
  'mfr',
  'serial',
  'type',
  'description',
  'contact',
  'location',
  'part',
  'macaddr',
];

export const DEVICE_INFO_METRIC = `${NUT_EXPORTER_NAMESPACE}_device_info`;
export const UPS_STATUS_METRIC = `${NUT_EXPORTER_NAMESPACE}_ups_status`;

// nut_exporter's --nut.on_regex / --nut.off_regex defaults: a word a boolean-like variable is coaxed from.
const ON = /^(enable|enabled|on|true|active|activated)$/i;
const OFF = /^(disable|disabled|off|false|inactive|deactivated)$/i;
const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A NUT value as nut_exporter exports it: a number, a boolean word as 1 or 0, else nothing. */
export function exportedValue(text: string): number | null {
  const t = text.trim();
  if (NUMBER.test(t)) {
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  if (ON.test(t)) return 1;
  if (OFF.test(t)) return 0;
  return null;
}

/** Whether a snapshot holds readings worth exporting (a UPS never heard from, or lost, exports none). */
export function hasReadings(s: UpsSnapshot): boolean {
  return s.at > 0 && s.comms !== 'lost' && s.comms !== 'unknown';
}

/** Every sample of one UPS's readings, nut_exporter's way, labelled with the UPS name. */
export function nutExporterSamples(ups: string, s: UpsSnapshot): Sample[] {
  if (!hasReadings(s)) return [];
  const out: Sample[] = [];
  const reserved = new Set([DEVICE_INFO_METRIC, UPS_STATUS_METRIC]);
  for (const [variable, text] of Object.entries(s.variables)) {
    if (variable === 'ups.status') continue;
    const value = exportedValue(text);
    if (value === null) continue;
    const name = metricName(NUT_EXPORTER_NAMESPACE, variable.replace(/-/g, '_'));
    if (reserved.has(name)) continue;
    out.push({ name, help: `NUT variable ${variable}`, labels: { ups }, value });
  }
  const set = new Set(s.status);
  for (const flag of s.status) {
    out.push({ name: UPS_STATUS_METRIC, help: 'UPS status flag (ups.status)', labels: { ups, flag }, value: 1 });
  }
  for (const flag of NUT_EXPORTER_STATUSES) {
    if (!set.has(flag)) {
      out.push({ name: UPS_STATUS_METRIC, help: 'UPS status flag (ups.status)', labels: { ups, flag }, value: 0 });
    }
  }
  const info: Record<string, string> = { ups };
  for (const l of DEVICE_INFO_LABELS) info[l] = s.variables[`device.${l}`] ?? '';
  out.push({ name: DEVICE_INFO_METRIC, help: 'UPS Device information', labels: info, value: 1 });
  return out;
}
