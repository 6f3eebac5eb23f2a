/**
 * Usage names as NUT prints them: its generic table (from HID PDC 1.1) and the vendor tables, plus the lookup both
 * ways. This file is the one place a usage's number and name meet; a vendor table is consulted before the generic
 * one, like NUT's utab. Everything else looks usages up here (usageCode) rather than repeating a number.
 */

/** Usage code (page << 16 | id) and the name NUT prints for it. */
export type UsageNameTable = readonly (readonly [usage: number, name: string])[];

function page(p: number, ids: readonly (readonly [number, string])[]): UsageNameTable {
  return ids.map(([id, name]) => [((p << 16) | id) >>> 0, name] as const);
}

/** Power Device page 0x84. 0x6A is absent from NUT's table on purpose. */
const POWER_DEVICE = page(0x84, [
  [0x00, 'Undefined'],
  [0x01, 'iName'],
  [0x02, 'PresentStatus'],
  [0x03, 'ChangedStatus'],
  [0x04, 'UPS'],
  [0x05, 'PowerSupply'],
  [0x10, 'BatterySystem'],
  [0x11, 'BatterySystemID'],
  [0x12, 'Battery'],
  [0x13, 'BatteryID'],
  [0x14, 'Charger'],
  [0x15, 'ChargerID'],
  [0x16, 'PowerConverter'],
  [0x17, 'PowerConverterID'],
  [0x18, 'OutletSystem'],
  [0x19, 'OutletSystemID'],
  [0x1a, 'Input'],
  [0x1b, 'InputID'],
  [0x1c, 'Output'],
  [0x1d, 'OutputID'],
  [0x1e, 'Flow'],
  [0x1f, 'FlowID'],
  [0x20, 'Outlet'],
  [0x21, 'OutletID'],
  [0x22, 'Gang'],
  [0x23, 'GangID'],
  [0x24, 'PowerSummary'],
  [0x25, 'PowerSummaryID'],
  [0x30, 'Voltage'],
  [0x31, 'Current'],
  [0x32, 'Frequency'],
  [0x33, 'ApparentPower'],
  [0x34, 'ActivePower'],
  [0x35, 'PercentLoad'],
  [0x36, 'Temperature'],
  [0x37, 'Humidity'],
  [0x38, 'BadCount'],
  [0x40, 'ConfigVoltage'],
  [0x41, 'ConfigCurrent'],
  [0x42, 'ConfigFrequency'],
  [0x43, 'ConfigApparentPower'],
  [0x44, 'ConfigActivePower'],
  [0x45, 'ConfigPercentLoad'],
  [0x46, 'ConfigTemperature'],
  [0x47, 'ConfigHumidity'],
  [0x50, 'SwitchOnControl'],
  [0x51, 'SwitchOffControl'],
  [0x52, 'ToggleControl'],
  [0x53, 'LowVoltageTransfer'],
  [0x54, 'HighVoltageTransfer'],
  [0x55, 'DelayBeforeReboot'],
  [0x56, 'DelayBeforeStartup'],
  [0x57, 'DelayBeforeShutdown'],
  [0x58, 'Test'],
  [0x59, 'ModuleReset'],
  [0x5a, 'AudibleAlarmControl'],
  [0x60, 'Present'],
  [0x61, 'Good'],
  [0x62, 'InternalFailure'],
  [0x63, 'VoltageOutOfRange'],
  [0x64, 'FrequencyOutOfRange'],
  [0x65, 'Overload'],
  [0x66, 'OverCharged'],
  [0x67, 'OverTemperature'],
  [0x68, 'ShutdownRequested'],
  [0x69, 'ShutdownImminent'],
  [0x6b, 'SwitchOn/Off'],
  [0x6c, 'Switchable'],
  [0x6d, 'Used'],
  [0x6e, 'Boost'],
  [0x6f, 'Buck'],
  [0x70, 'Initialized'],
  [0x71, 'Tested'],
  [0x72, 'AwaitingPower'],
  [0x73, 'CommunicationLost'],
  [0xfd, 'iManufacturer'],
  [0xfe, 'iProduct'],
  [0xff, 'iSerialNumber'],
]);

/** Battery System page 0x85 ("iDevicename" is NUT's spelling). */
const BATTERY_SYSTEM = page(0x85, [
  [0x00, 'Undefined'],
  [0x01, 'SMBBatteryMode'],
  [0x02, 'SMBBatteryStatus'],
  [0x03, 'SMBAlarmWarning'],
  [0x04, 'SMBChargerMode'],
  [0x05, 'SMBChargerStatus'],
  [0x06, 'SMBChargerSpecInfo'],
  [0x07, 'SMBSelectorState'],
  [0x08, 'SMBSelectorPresets'],
  [0x09, 'SMBSelectorInfo'],
  [0x10, 'OptionalMfgFunction1'],
  [0x11, 'OptionalMfgFunction2'],
  [0x12, 'OptionalMfgFunction3'],
  [0x13, 'OptionalMfgFunction4'],
  [0x14, 'OptionalMfgFunction5'],
  [0x15, 'ConnectionToSMBus'],
  [0x16, 'OutputConnection'],
  [0x17, 'ChargerConnection'],
  [0x18, 'BatteryInsertion'],
  [0x19, 'Usenext'],
  [0x1a, 'OKToUse'],
  [0x1b, 'BatterySupported'],
  [0x1c, 'SelectorRevision'],
  [0x1d, 'ChargingIndicator'],
  [0x28, 'ManufacturerAccess'],
  [0x29, 'RemainingCapacityLimit'],
  [0x2a, 'RemainingTimeLimit'],
  [0x2b, 'AtRate'],
  [0x2c, 'CapacityMode'],
  [0x2d, 'BroadcastToCharger'],
  [0x2e, 'PrimaryBattery'],
  [0x2f, 'ChargeController'],
  [0x40, 'TerminateCharge'],
  [0x41, 'TerminateDischarge'],
  [0x42, 'BelowRemainingCapacityLimit'],
  [0x43, 'RemainingTimeLimitExpired'],
  [0x44, 'Charging'],
  [0x45, 'Discharging'],
  [0x46, 'FullyCharged'],
  [0x47, 'FullyDischarged'],
  [0x48, 'ConditioningFlag'],
  [0x49, 'AtRateOK'],
  [0x4a, 'SMBErrorCode'],
  [0x4b, 'NeedReplacement'],
  [0x60, 'AtRateTimeToFull'],
  [0x61, 'AtRateTimeToEmpty'],
  [0x62, 'AverageCurrent'],
  [0x63, 'Maxerror'],
  [0x64, 'RelativeStateOfCharge'],
  [0x65, 'AbsoluteStateOfCharge'],
  [0x66, 'RemainingCapacity'],
  [0x67, 'FullChargeCapacity'],
  [0x68, 'RunTimeToEmpty'],
  [0x69, 'AverageTimeToEmpty'],
  [0x6a, 'AverageTimeToFull'],
  [0x6b, 'CycleCount'],
  [0x80, 'BattPackModelLevel'],
  [0x81, 'InternalChargeController'],
  [0x82, 'PrimaryBatterySupport'],
  [0x83, 'DesignCapacity'],
  [0x84, 'SpecificationInfo'],
  [0x85, 'ManufacturerDate'],
  [0x86, 'SerialNumber'],
  [0x87, 'iManufacturerName'],
  [0x88, 'iDevicename'],
  [0x89, 'iDeviceChemistry'],
  [0x8a, 'ManufacturerData'],
  [0x8b, 'Rechargeable'],
  [0x8c, 'WarningCapacityLimit'],
  [0x8d, 'CapacityGranularity1'],
  [0x8e, 'CapacityGranularity2'],
  [0x8f, 'iOEMInformation'],
  [0xc0, 'InhibitCharge'],
  [0xc1, 'EnablePolling'],
  [0xc2, 'ResetToZero'],
  [0xd0, 'ACPresent'],
  [0xd1, 'BatteryPresent'],
  [0xd2, 'PowerFail'],
  [0xd3, 'AlarmInhibited'],
  [0xd4, 'ThermistorUnderRange'],
  [0xd5, 'ThermistorHot'],
  [0xd6, 'ThermistorCold'],
  [0xd7, 'ThermistorOverRange'],
  [0xd8, 'VoltageOutOfRange'],
  [0xd9, 'CurrentOutOfRange'],
  [0xda, 'CurrentNotRegulated'],
  [0xdb, 'VoltageNotRegulated'],
  [0xdc, 'MasterMode'],
  [0xf0, 'ChargerSelectorSupport'],
  [0xf1, 'ChargerSpec'],
  [0xf2, 'Level2'],
  [0xf3, 'Level3'],
]);

export const GENERIC_USAGES: UsageNameTable = [...POWER_DEVICE, ...BATTERY_SYSTEM];

// Vendor tables (data facts from NUT's subdrivers, as our own tables). Each is consulted before the generic table,
// so a vendor may rename a standard usage (Tripp Lite's TLCharging does).

export const APC_USAGES: UsageNameTable = [
  [0xff860005, 'APCGeneralCollection'],
  [0xff860006, 'APCEnvironment'],
  [0xff860007, 'APCProbe1'],
  [0xff860008, 'APCProbe2'],
  [0xff860016, 'APCBattReplaceDate'],
  [0xff860019, 'APCBattCapBeforeStartup'],
  [0xff860042, 'APC_UPS_FirmwareRevision'],
  [0xff860052, 'APCLineFailCause'],
  [0xff860060, 'APCStatusFlag'],
  [0xff860061, 'APCSensitivity'],
  [0xff860072, 'APCPanelTest'],
  [0xff860076, 'APCShutdownAfterDelay'],
  [0xff860079, 'APC_USB_FirmwareRevision'],
  [0xff86007c, 'APCDelayBeforeReboot'],
  [0xff86007d, 'APCDelayBeforeShutdown'],
  [0xff86007e, 'APCDelayBeforeStartup'],
  [0x00850058, 'BUPHibernate'],
  [0x00860012, 'BUPBattCapBeforeStartup'],
  [0x00860076, 'BUPDelayBeforeStartup'],
  [0x00860010, 'BUPSelfTest'],
];

export const CPS_USAGES: UsageNameTable = [
  [0xff0100d0, 'CPSFirmwareVersion'],
  [0xff010043, 'CPSInputSensitivity'],
];

/** Eaton / MGE page 0xFFFF. */
export const MGE_USAGES: UsageNameTable = [
  [0xffff0000, 'Undefined'],
  [0xffff0001, 'STS'],
  [0xffff0002, 'Environment'],
  [0xffff0003, 'Statistic'],
  [0xffff0004, 'StatisticSystem'],
  [0xffff0005, 'USB'],
  [0xffff0010, 'Phase'],
  [0xffff0011, 'PhaseID'],
  [0xffff0012, 'Chopper'],
  [0xffff0013, 'ChopperID'],
  [0xffff0014, 'Inverter'],
  [0xffff0015, 'InverterID'],
  [0xffff0016, 'Rectifier'],
  [0xffff0017, 'RectifierID'],
  [0xffff0018, 'LCMSystem'],
  [0xffff0019, 'LCMSystemID'],
  [0xffff001a, 'LCMAlarm'],
  [0xffff001b, 'LCMAlarmID'],
  [0xffff001c, 'HistorySystem'],
  [0xffff001d, 'HistorySystemID'],
  [0xffff001e, 'Event'],
  [0xffff001f, 'EventID'],
  [0xffff0020, 'CircuitBreaker'],
  [0xffff0021, 'TransferForbidden'],
  [0xffff0022, 'OverallAlarm'],
  [0xffff0023, 'Dephasing'],
  [0xffff0024, 'BypassBreaker'],
  [0xffff0025, 'PowerModule'],
  [0xffff0026, 'PowerRate'],
  [0xffff0027, 'PowerSource'],
  [0xffff0028, 'CurrentPowerSource'],
  [0xffff0029, 'RedundancyLevel'],
  [0xffff002a, 'RedundancyLost'],
  [0xffff002b, 'NotificationStatus'],
  [0xffff002c, 'ProtectionLost'],
  [0xffff002d, 'ConfigurationFailure'],
  [0xffff002e, 'CompatibilityFailure'],
  [0xffff0040, 'SwitchType'],
  [0xffff0041, 'ConverterType'],
  [0xffff0042, 'FrequencyConverterMode'],
  [0xffff0043, 'AutomaticRestart'],
  [0xffff0044, 'ForcedReboot'],
  [0xffff0045, 'TestPeriod'],
  [0xffff0046, 'EnergySaving'],
  [0xffff0047, 'StartOnBattery'],
  [0xffff0048, 'Schedule'],
  [0xffff0049, 'DeepDischargeProtection'],
  [0xffff004a, 'ShortCircuit'],
  [0xffff004b, 'ExtendedVoltageMode'],
  [0xffff004c, 'SensitivityMode'],
  [0xffff004d, 'RemainingCapacityLimitSetting'],
  [0xffff004e, 'ExtendedFrequencyMode'],
  [0xffff004f, 'FrequencyConverterModeSetting'],
  [0xffff0050, 'LowVoltageBoostTransfer'],
  [0xffff0051, 'HighVoltageBoostTransfer'],
  [0xffff0052, 'LowVoltageBuckTransfer'],
  [0xffff0053, 'HighVoltageBuckTransfer'],
  [0xffff0054, 'OverloadTransferEnable'],
  [0xffff0055, 'OutOfToleranceTransferEnable'],
  [0xffff0056, 'ForcedTransferEnable'],
  [0xffff0057, 'LowVoltageBypassTransfer'],
  [0xffff0058, 'HighVoltageBypassTransfer'],
  [0xffff0059, 'FrequencyRangeBypassTransfer'],
  [0xffff005a, 'LowVoltageEcoTransfer'],
  [0xffff005b, 'HighVoltageEcoTransfer'],
  [0xffff005c, 'FrequencyRangeEcoTransfer'],
  [0xffff005d, 'ShutdownTimer'],
  [0xffff005e, 'StartupTimer'],
  [0xffff005f, 'RestartLevel'],
  [0xffff0060, 'PhaseOutOfRange'],
  [0xffff0061, 'CurrentLimitation'],
  [0xffff0062, 'ThermalOverload'],
  [0xffff0063, 'SynchroSource'],
  [0xffff0064, 'FuseFault'],
  [0xffff0065, 'ExternalProtectedTransfert'],
  [0xffff0066, 'ExternalForcedTransfert'],
  [0xffff0067, 'Compensation'],
  [0xffff0068, 'EmergencyStop'],
  [0xffff0069, 'PowerFactor'],
  [0xffff006a, 'PeakFactor'],
  [0xffff006b, 'ChargerType'],
  [0xffff006c, 'HighPositiveDCBusVoltage'],
  [0xffff006d, 'LowPositiveDCBusVoltage'],
  [0xffff006e, 'HighNegativeDCBusVoltage'],
  [0xffff006f, 'LowNegativeDCBusVoltage'],
  [0xffff0070, 'FrequencyRangeTransfer'],
  [0xffff0071, 'WiringFaultDetection'],
  [0xffff0072, 'ControlStandby'],
  [0xffff0073, 'ShortCircuitTolerance'],
  [0xffff0074, 'VoltageTooHigh'],
  [0xffff0075, 'VoltageTooLow'],
  [0xffff0076, 'DCBusUnbalanced'],
  [0xffff0077, 'FanFailure'],
  [0xffff0078, 'WiringFault'],
  [0xffff0079, 'Floating'],
  [0xffff007a, 'OverCurrent'],
  [0xffff007b, 'RemainingActivePower'],
  [0xffff007c, 'Energy'],
  [0xffff007d, 'Threshold'],
  [0xffff007e, 'OverThreshold'],
  [0xffff0080, 'Sensor'],
  [0xffff0081, 'LowHumidity'],
  [0xffff0082, 'HighHumidity'],
  [0xffff0083, 'LowTemperature'],
  [0xffff0084, 'HighTemperature'],
  [0xffff0085, 'ECOControl'],
  [0xffff0086, 'Efficiency'],
  [0xffff0087, 'ABMEnable'],
  [0xffff0088, 'NegativeCurrent'],
  [0xffff0089, 'AutomaticStart'],
  [0xffff0090, 'Count'],
  [0xffff0091, 'Timer'],
  [0xffff0092, 'Interval'],
  [0xffff0093, 'TimerExpired'],
  [0xffff0094, 'Mode'],
  [0xffff0095, 'Country'],
  [0xffff0096, 'State'],
  [0xffff0097, 'Time'],
  [0xffff0098, 'Code'],
  [0xffff0099, 'DataValid'],
  [0xffff009a, 'ToggleTimer'],
  [0xffff009b, 'BypassTransferDelay'],
  [0xffff009c, 'HysteresisVoltageTransfer'],
  [0xffff009d, 'SlewRate'],
  [0xffff00a0, 'PDU'],
  [0xffff00a1, 'Breaker'],
  [0xffff00a2, 'BreakerID'],
  [0xffff00a3, 'OverVoltage'],
  [0xffff00a4, 'Tripped'],
  [0xffff00a5, 'OverEnergy'],
  [0xffff00a6, 'OverHumidity'],
  [0xffff00a7, 'ConfigurationReset'],
  [0xffff00a8, 'Level'],
  [0xffff00a9, 'PDUType'],
  [0xffff00aa, 'ReactivePower'],
  [0xffff00ab, 'Pole'],
  [0xffff00ac, 'PoleID'],
  [0xffff00ad, 'Reset'],
  [0xffff00ae, 'WatchdogReset'],
  [0xffff00ba, 'iDesignator'],
  [0xffff00e0, 'COPIBridge'],
  [0xffff00e1, 'Gateway'],
  [0xffff00e5, 'System'],
  [0xffff00e9, 'Status'],
  [0xffff00f0, 'iModel'],
  [0xffff00f1, 'iVersion'],
  [0xffff00f2, 'iTechnicalLevel'],
  [0xffff00f3, 'iPartNumber'],
  [0xffff00f4, 'iReferenceNumber'],
  [0xffff00f5, 'iGang'],
];

/** Tripp Lite mixed up pages 0x84/0x85 for four status usages on some units; these names win on 09ae. */
export const TRIPPLITE_USAGES: UsageNameTable = [
  [0x00840044, 'TLCharging'],
  [0x00840045, 'TLDischarging'],
  [0x0084004b, 'TLNeedReplacement'],
  [0x008400d0, 'TLACPresent'],
];

/** Belkin (and the Liebert units sharing its firmware) encode their own usages on the reserved page 0x0086. */
export const BELKIN_USAGES: UsageNameTable = [
  [0x00860026, 'BELKINConfig'],
  [0x00860040, 'BELKINConfigVoltage'],
  [0x00860042, 'BELKINConfigFrequency'],
  [0x00860043, 'BELKINConfigApparentPower'],
  [0x00860044, 'BELKINConfigBatteryVoltage'],
  [0x00860045, 'BELKINConfigOverloadTransfer'],
  [0x00860053, 'BELKINLowVoltageTransfer'],
  [0x00860054, 'BELKINHighVoltageTransfer'],
  [0x0086005b, 'BELKINLowVoltageTransferMax'],
  [0x0086005c, 'BELKINLowVoltageTransferMin'],
  [0x0086005d, 'BELKINHighVoltageTransferMax'],
  [0x0086005e, 'BELKINHighVoltageTransferMin'],
  [0x00860027, 'BELKINControls'],
  [0x00860050, 'BELKINLoadOn'],
  [0x00860051, 'BELKINLoadOff'],
  [0x00860052, 'BELKINLoadToggle'],
  [0x00860055, 'BELKINDelayBeforeReboot'],
  [0x00860056, 'BELKINDelayBeforeStartup'],
  [0x00860057, 'BELKINDelayBeforeShutdown'],
  [0x00860058, 'BELKINTest'],
  [0x0086005a, 'BELKINAudibleAlarmControl'],
  [0x00860029, 'BELKINDevice'],
];

export const POWERCOM_USAGES: UsageNameTable = [
  [0x0084002f, 'POWERCOM1'],
  [0xff860060, 'POWERCOM2'],
  [0xff860080, 'POWERCOM3'],
  [0x00ff0056, 'PCMDelayBeforeStartup'],
  [0x00ff0057, 'PCMDelayBeforeShutdown'],
];

/** Node values NUT uses for the index of a vendor-defined collection type: 0x00FF0000 | n, printed `[n]`. */
export const INDEX_NODE_BASE = 0x00ff0000;

export function isIndexNode(node: number): boolean {
  return (node & 0xffff0000) >>> 0 === INDEX_NODE_BASE;
}

/**
 * A usage's code by the name NUT prints for it, vendor table first: code that looks for a usage (the simulator's
 * field roles, vendor fixes, the relay's write allowlist) names it here instead of repeating its number.
 * Throws for a name no table knows: that is a programming error, not input.
 */
export function usageCode(name: string, vendor: UsageNameTable = []): number {
  const wanted = name.toLowerCase();
  for (const [code, n] of [...vendor, ...GENERIC_USAGES]) if (n.toLowerCase() === wanted) return code >>> 0;
  throw new Error(`unknown HID usage name ${name}`);
}

/** Vendor table first, then the generic one: the first table that knows a usage (or a name) wins, as in NUT. */
export class UsageNames {
  private readonly byCode = new Map<number, string>();
  private readonly byName = new Map<string, number>();

  constructor(vendor: UsageNameTable = []) {
    for (const [code, name] of [...vendor, ...GENERIC_USAGES]) {
      const c = code >>> 0;
      if (!this.byCode.has(c)) this.byCode.set(c, name);
      const key = name.toLowerCase();
      if (!this.byName.has(key)) this.byName.set(key, c);
    }
  }

  /** One path node as NUT prints it. */
  nodeName(node: number): string {
    const n = node >>> 0;
    const name = this.byCode.get(n);
    if (name !== undefined) return name;
    if (isIndexNode(n)) return `[${n & 0xffff}]`;
    return n.toString(16).padStart(8, '0');
  }

  pathName(nodes: readonly number[]): string {
    return nodes.map((n) => this.nodeName(n)).join('.');
  }

  /** Path string to nodes (names, `[n]` and hex, case-insensitive); undefined when a token is not understood. */
  parsePath(path: string): number[] | undefined {
    const nodes: number[] = [];
    for (const token of path.split('.')) {
      if (token === '') continue;
      const known = this.byName.get(token.toLowerCase());
      if (known !== undefined) {
        nodes.push(known);
        continue;
      }
      const idx = /^\[(\d{1,5})\]$/.exec(token);
      if (idx?.[1] !== undefined) {
        nodes.push((INDEX_NODE_BASE + Number(idx[1])) >>> 0);
        continue;
      }
      if (/^[0-9a-fA-F]{1,8}$/.test(token)) {
        nodes.push(Number.parseInt(token, 16) >>> 0);
        continue;
      }
      return undefined;
    }
    return nodes;
  }
}

/** A usage code's page: its high 16 bits. */
export function usagePageOf(code: number): number {
  return code >>> 16;
}

/** The two standard Power Device Class pages (0x84, 0x85), taken from the table rather than written again. */
export const POWER_DEVICE_PAGE = usagePageOf(usageCode('PowerSummary'));
export const BATTERY_SYSTEM_PAGE = usagePageOf(usageCode('RemainingCapacity'));
