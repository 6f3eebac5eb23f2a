/** The event names, as upsmon names its notifications, plus upsguard's own. One list. */
export const UPS_EVENT_TYPES = [
  'ONLINE',
  'ONBATT',
  'LOWBATT',
  'FSD',
  'COMMOK',
  'COMMBAD',
  'NOCOMM',
  'REPLBATT',
  'OVERLOAD',
  'SHUTDOWN',
  'CAL',
  'OFF',
  'BYPASS',
  'NOTOFF',
  'NOTBYPASS',
  'POLICY_WARNING',
  'POLICY_CRITICAL',
  'POLICY_NORMAL',
  'SHUTDOWN_DONE',
  'SHUTDOWN_ABORTED',
  'SHUTDOWN_TARGET_FAILED',
  'SHUTDOWN_CHECK_FAILED',
  'LOAD_OFF',
  'BATTERY_TEST',
  'STORE_FAILED',
  'STORE_OK',
  'CONFIG_RELOADED',
  'CONFIG_RELOAD_FAILED',
  'NUT_SERVER_FAILED',
  'RESTORE_STARTED',
  'HOST_BACK',
  'RESTORED',
  'RESTORE_INCOMPLETE',
  'NOTIFY_FAILED',
  'NOTIFY_EXPIRED',
  'NOTIFY_TEST',
] as const;

export type UpsEventType = (typeof UPS_EVENT_TYPES)[number];

export interface UpsEvent {
  readonly id: number;
  readonly at: number;
  readonly type: UpsEventType;
  readonly ups: string;
  readonly message: string;
}

export type NewUpsEvent = Omit<UpsEvent, 'id'>;

/** How the appliance's contact with a UPS stands, as upsmon sees it. */
export type CommsState = 'ok' | 'stale' | 'lost' | 'unknown';

export interface UpsSnapshot {
  readonly ups: string;
  readonly at: number;
  /** NUT variable names to values as NUT prints them. */
  readonly variables: Readonly<Record<string, string>>;
  /** ups.status tokens in NUT order. */
  readonly status: readonly string[];
  readonly comms: CommsState;
  /** When contact was last confirmed (a successful read), ms since epoch; 0 if never. */
  readonly lastContactAt: number;
}
