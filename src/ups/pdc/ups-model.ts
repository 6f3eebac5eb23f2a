/**
 * The Power Device Class model of one device: its (fixed) descriptor, which reports to poll, how reports become
 * NUT variables and status tokens, and how commands become writes. Pure: reports come in, strings come out.
 */
import { parseReportDescriptor } from '../hid/descriptor-parser.js';
import type { ParsedField, ParsedReportDescriptor } from '../hid/report-descriptor.js';
import { readLogical, readValue } from '../hid/report-codec.js';
import type { HidField } from '../hid/types.js';
import { hex16 } from '../../util/hex.js';
import { commandFields, planGeneric, supportedCommands } from './commands.js';
import { selectProfile, type VendorProfile } from './quirks/index.js';
import type { CommandContext } from './quirks/profile.js';
import { GENERIC_STATUS, applyStatus, statusTokens, type StatusFlags, type StatusSpec } from './status.js';
import type {
  CommandStep,
  DeviceInfo,
  ModelOptions,
  ReportRef,
  ReportSource,
  StringLookup,
  UpsCommand,
  UpsModel,
  UpsReading,
  WritableVariable,
} from './types.js';
import { GENERIC_VARIABLES, formatWith, type VariableSpec } from './variable-map.js';
import {
  DRIVER_SIDE_WRITABLE,
  GENERIC_WRITABLE,
  planSet,
  resolveWritable,
  type DriverSideSpec,
  type ResolvedWritable,
} from './writable.js';

interface Resolved<S> {
  readonly spec: S;
  readonly feature: ParsedField | undefined;
  readonly input: ParsedField | undefined;
}

function resolve<S extends { path: string }>(desc: ParsedReportDescriptor, specs: readonly S[]): Resolved<S>[] {
  return specs
    .map((spec) => ({ spec, feature: desc.find(spec.path, 'feature'), input: desc.find(spec.path, 'input') }))
    .filter((r) => r.feature !== undefined || r.input !== undefined);
}

function refsOf(fields: readonly HidField[]): ReportRef[] {
  const seen = new Map<string, ReportRef>();
  for (const f of fields) seen.set(`${f.type}:${f.reportId}`, { type: f.type, reportId: f.reportId });
  return [...seen.values()].sort((a, b) => a.reportId - b.reportId || a.type.localeCompare(b.type));
}

const IDENTITY_PATHS = [
  'UPS.PowerSummary.iManufacturer',
  'UPS.PowerSummary.iProduct',
  'UPS.PowerSummary.iSerialNumber',
];

class PdcModel implements UpsModel {
  readonly descriptor: ParsedReportDescriptor;
  readonly vendor: string;
  readonly quickReports: readonly ReportRef[];
  readonly fullReports: readonly ReportRef[];
  readonly commands: readonly UpsCommand[];
  readonly writable: readonly WritableVariable[];
  readonly subdriver: string;
  private readonly resolvedWritable: readonly ResolvedWritable[];
  private readonly variables: readonly Resolved<VariableSpec>[];
  private readonly statusSources: readonly Resolved<StatusSpec>[];
  private readonly fields: ReturnType<typeof commandFields>;
  /** Server-side texts whose path the descriptor has (outlet.desc "Main Outlet"). */
  private readonly fixedTexts: readonly DriverSideSpec[];

  constructor(
    descriptor: ParsedReportDescriptor,
    private readonly profile: VendorProfile,
    private readonly device: DeviceInfo,
    private readonly options: ModelOptions,
  ) {
    this.descriptor = descriptor;
    this.vendor = profile.name;
    this.variables = resolve(descriptor, [...(profile.variables?.() ?? []), ...GENERIC_VARIABLES]);
    this.statusSources = resolve(descriptor, [...GENERIC_STATUS, ...(profile.status ?? [])]);
    this.fields = commandFields(descriptor, profile);
    this.commands = supportedCommands(this.fields, profile, this.commandContext(0, 0));
    this.subdriver = profile.subdriver ?? 'Generic HID 0.1';
    const fieldsOf = (name: string): (ParsedField | undefined)[] =>
      this.variables.filter((r) => r.spec.name === name).map((r) => r.feature);
    const driverSide: ResolvedWritable[] = DRIVER_SIDE_WRITABLE.filter((n) =>
      n === 'ups.delay.shutdown' ? this.fields.shutdown : this.fields.startup,
    ).map((name) => ({ name, length: 10 }));
    this.fixedTexts = (profile.driverSide ?? []).filter(
      (d) => descriptor.find(d.path, 'feature') !== undefined || descriptor.find(d.path, 'input') !== undefined,
    );
    this.resolvedWritable = [
      ...resolveWritable([...(profile.writable ?? []), ...GENERIC_WRITABLE], fieldsOf),
      ...driverSide,
      ...this.fixedTexts.map((d) => ({ name: d.name, length: d.length, driverSide: true })),
    ];
    this.writable = this.resolvedWritable.map(({ field: _field, limits: _limits, words: _words, ...w }) => w);
    const preferred = (r: Resolved<unknown>): HidField | undefined => r.feature ?? r.input;
    const quick = [
      ...this.variables.filter((r) => r.spec.quick === true).map(preferred),
      ...this.statusSources.map(preferred),
    ].filter((f): f is HidField => f !== undefined);
    this.quickReports = refsOf(quick);
    const identity = IDENTITY_PATHS.map((p) => descriptor.find(p, 'feature'));
    const full = [...this.variables.map((r) => r.feature), ...this.statusSources.map((r) => r.feature), ...identity];
    this.fullReports = refsOf(full.filter((f): f is ParsedField => f !== undefined));
  }

  fieldFor(variable: string): HidField | undefined {
    const r = this.variables.find((v) => v.spec.name === variable);
    return r ? (r.feature ?? r.input) : undefined;
  }

  /** The value of a field from whichever report is at hand, Feature first; undefined if absent or malformed. */
  private read(r: Resolved<unknown>, reports: ReportSource, raw: boolean): number | undefined {
    for (const f of [r.feature, r.input]) {
      if (!f) continue;
      const report = reports.get(f.type, f.reportId);
      if (!report) continue;
      try {
        return raw ? readLogical(f, report) : readValue(f, report);
      } catch {
        // A short or mismatched report is skipped: the next candidate path, or the next poll, may serve.
        continue;
      }
    }
    return undefined;
  }

  decode(reports: ReportSource, strings?: StringLookup): UpsReading {
    const variables: Record<string, string> = {};
    for (const r of this.variables) {
      if (variables[r.spec.name] !== undefined) continue;
      const value = this.read(r, reports, r.spec.raw === true);
      if (value === undefined) continue;
      const text = formatWith(r.spec.format, value, { strings, variables });
      if (text !== undefined) variables[r.spec.name] = text;
    }

    const flags: StatusFlags = new Map();
    for (const r of this.statusSources) {
      const value = this.read(r, reports, true);
      if (value === undefined) continue;
      if (r.spec.unlessOff === true && flags.get('off') === true) continue;
      applyStatus(flags, r.spec.lookup, value);
    }
    const charge = Number(variables['battery.charge']);
    const status = statusTokens(flags, {
      onlineDischarge: this.options.onlineDischarge ?? 'online',
      ...(Number.isFinite(charge) ? { charge } : {}),
    });
    if (status.length > 0) variables['ups.status'] = status.join(' ');

    // Driver-side settings, published like NUT does when the device has the matching delay field.
    if (this.fields.shutdown) variables['ups.delay.shutdown'] = String(this.profile.delays.off);
    if (this.fields.startup) variables['ups.delay.start'] = String(this.profile.delays.on);
    for (const d of this.fixedTexts) variables[d.name] ??= d.value;

    Object.assign(variables, this.identity(reports, strings));
    return { variables, status };
  }

  private identity(reports: ReportSource, strings: StringLookup | undefined): Record<string, string> {
    const indexString = (path: string): string | undefined => {
      const feature = this.descriptor.find(path, 'feature');
      if (!feature || !strings) return undefined;
      const value = this.read({ spec: null, feature, input: undefined }, reports, true);
      if (value === undefined || value <= 0) return undefined;
      const s = strings(value);
      return s === undefined || s === '' ? undefined : s;
    };
    const out: Record<string, string> = {};
    const extra = this.profile.identity?.({ device: this.device, indexString }) ?? {};
    const mfr = this.device.manufacturer ?? indexString('UPS.PowerSummary.iManufacturer') ?? this.profile.defaultMfr;
    const model = extra['ups.model'] ?? this.device.product ?? indexString('UPS.PowerSummary.iProduct');
    const serial = this.device.serial ?? indexString('UPS.PowerSummary.iSerialNumber');
    Object.assign(out, extra);
    if (mfr !== undefined) out['ups.mfr'] = out['device.mfr'] = mfr;
    if (model !== undefined) out['ups.model'] = out['device.model'] = model;
    if (serial !== undefined) out['ups.serial'] = out['device.serial'] = serial;
    out['device.type'] = 'ups';
    out['ups.vendorid'] = hex16(this.device.vendorId);
    out['ups.productid'] = hex16(this.device.productId);
    return out;
  }

  private commandContext(offDelay: number, onDelay: number): CommandContext {
    return { descriptor: this.descriptor, offDelay, onDelay };
  }

  planSet(name: string, value: string): CommandStep[] {
    return planSet(this.resolvedWritable, name, value);
  }

  planCommand(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number } = {}): CommandStep[] {
    const ctx = this.commandContext(opts.offDelay ?? this.profile.delays.off, opts.onDelay ?? this.profile.delays.on);
    const vendorPlan = this.profile.planCommand?.(cmd, ctx);
    return vendorPlan ?? planGeneric(cmd, this.fields, this.profile, ctx);
  }
}

/** Parse, pick the vendor family, apply its descriptor fixes, and return the model. Throws HidParseError. */
export function createUpsModel(descriptorBytes: Uint8Array, device: DeviceInfo, options: ModelOptions = {}): UpsModel {
  const generic = parseReportDescriptor(descriptorBytes);
  const profile = selectProfile(device, generic);
  const named =
    profile.usageNames.length > 0
      ? parseReportDescriptor(descriptorBytes, { usageNames: profile.usageNames })
      : generic;
  const fixed = profile.fixDescriptor ? profile.fixDescriptor(named, device) : named;
  return new PdcModel(fixed, profile, device, options);
}
