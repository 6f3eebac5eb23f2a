/**
 * Every error upsguard raises on purpose carries a stable code, so logs, API responses and tests can name
 * what went wrong without matching message text. One file, so the list of codes is one list.
 */
export const ErrorCode = {
  ConfigInvalid: 'CONFIG_INVALID',
  ConfigUnreadable: 'CONFIG_UNREADABLE',
  ConfigFileTooLarge: 'CONFIG_FILE_TOO_LARGE',
  /** The config file changed on disk since it was loaded: an edit from the page would overwrite someone's work. */
  ConfigChanged: 'CONFIG_CHANGED',
  HidDescriptorMalformed: 'HID_DESCRIPTOR_MALFORMED',
  HidDescriptorLimit: 'HID_DESCRIPTOR_LIMIT',
  HidReportMalformed: 'HID_REPORT_MALFORMED',
  HidFieldNotWritable: 'HID_FIELD_NOT_WRITABLE',
  UpsCommandUnsupported: 'UPS_COMMAND_UNSUPPORTED',
  UpsCommandInvalid: 'UPS_COMMAND_INVALID',
  TransportClosed: 'TRANSPORT_CLOSED',
  TransportTimeout: 'TRANSPORT_TIMEOUT',
  TransportIo: 'TRANSPORT_IO',
  DeviceNotFound: 'DEVICE_NOT_FOUND',
  DeviceIdentityMismatch: 'DEVICE_IDENTITY_MISMATCH',
  ScenarioInvalid: 'SCENARIO_INVALID',
  StoreFailure: 'STORE_FAILURE',
  /** The store was written by a newer upsguard (a higher schema version): refused, never downgraded or replaced. */
  StoreTooNew: 'STORE_TOO_NEW',
  RequestInvalid: 'REQUEST_INVALID',
  NotFound: 'NOT_FOUND',
  CliUsage: 'CLI_USAGE',
  NutProtocol: 'NUT_PROTOCOL',
  NutUnavailable: 'NUT_UNAVAILABLE',
  NutRefused: 'NUT_REFUSED',
  /** A malformed request to the apcupsd NIS server (a length beyond any command). */
  NisProtocol: 'NIS_PROTOCOL',
  PlanInvalid: 'PLAN_INVALID',
  DriverFailure: 'DRIVER_FAILURE',
  DriverTimeout: 'DRIVER_TIMEOUT',
  DriverAuth: 'DRIVER_AUTH_FAILED',
  DriverUnreachable: 'DRIVER_UNREACHABLE',
  DriverCertificate: 'DRIVER_CERTIFICATE_MISMATCH',
  DriverPermission: 'DRIVER_PERMISSION_DENIED',
  DriverNotFound: 'DRIVER_TARGET_NOT_FOUND',
  DriverToolsMissing: 'DRIVER_GUEST_TOOLS_MISSING',
  DriverLicence: 'DRIVER_LICENCE_FORBIDS',
  DriverHostKey: 'DRIVER_HOST_KEY_MISMATCH',
  DriverUnsupported: 'DRIVER_ACTION_UNSUPPORTED',
  RunConflict: 'RUN_CONFLICT',
  Forbidden: 'FORBIDDEN',
  Unauthenticated: 'UNAUTHENTICATED',
  LoginFailed: 'LOGIN_FAILED',
  LoginThrottled: 'LOGIN_THROTTLED',
  Csrf: 'CSRF',
  Misdirected: 'MISDIRECTED',
  RateLimited: 'RATE_LIMITED',
  RelayProtocol: 'RELAY_PROTOCOL',
  RelayPskInvalid: 'RELAY_PSK_INVALID',
  RelayUnreachable: 'RELAY_UNREACHABLE',
  /** A usbredir peer sent bytes that are not the protocol (a bad header, a length beyond its type, an unknown type). */
  UsbRedirProtocol: 'USBREDIR_PROTOCOL',
  /** A usbredir consumer refused: the device is claimed by another, or the attachment is not allowed. */
  UsbRedirRefused: 'USBREDIR_REFUSED',
  /** A VM's USB attachment (libvirt redirdev, Proxmox args) could not be made or removed. */
  UsbAttachFailed: 'USB_ATTACH_FAILED',
  NotifyFailed: 'NOTIFY_FAILED',
  WebCertificateInvalid: 'WEB_CERTIFICATE_INVALID',
  PasswordHashInvalid: 'PASSWORD_HASH_INVALID',
  /** A backup file that is not one, is cut short, or whose contents do not match their checksums. */
  BackupInvalid: 'BACKUP_INVALID',
  /** A backup made by a newer upsguard (or of a newer store schema) than this one: refused, never downgraded. */
  BackupTooNew: 'BACKUP_TOO_NEW',
  /** A restore would replace a store a running process holds open. */
  StoreInUse: 'STORE_IN_USE',
  /** `upsguard status` could not reach the running service (or it refused the token). */
  ServiceUnreachable: 'SERVICE_UNREACHABLE',
  /** `upsguard setup`: a credential, login or endpoint it tested on the spot failed. */
  SetupCheckFailed: 'SETUP_CHECK_FAILED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class UpsguardError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A report descriptor that cannot be parsed; `offset` is the byte offset of the offending item. */
export class HidParseError extends UpsguardError {
  readonly offset: number;
  constructor(message: string, offset: number, code: ErrorCode = ErrorCode.HidDescriptorMalformed) {
    super(code, `${message} (at byte offset ${offset})`, { offset });
    this.offset = offset;
  }
}

/** A report whose bytes do not fit the descriptor's layout. */
export class HidReportError extends UpsguardError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.HidReportMalformed, message, details);
  }
}

/** Configuration errors carry every problem at once as `path: reason`. */
export class ConfigError extends UpsguardError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], source: string) {
    super(ErrorCode.ConfigInvalid, `invalid configuration in ${source}:\n  ${problems.join('\n  ')}`, {
      problems,
      source,
    });
    this.problems = problems;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
