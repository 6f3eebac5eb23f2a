import type { UpsEventType } from './events.js';

export type EventSeverity = 'info' | 'warning' | 'critical';

/**
 * How much each event matters, for the page, notifications and the log. A Record over the one list of names, so a
 * new event cannot be added without saying how much it matters.
 */
export const EVENT_SEVERITY: Readonly<Record<UpsEventType, EventSeverity>> = {
  ONLINE: 'info',
  ONBATT: 'warning',
  LOWBATT: 'critical',
  FSD: 'critical',
  COMMOK: 'info',
  COMMBAD: 'critical',
  NOCOMM: 'critical',
  REPLBATT: 'critical',
  OVERLOAD: 'critical',
  SHUTDOWN: 'critical',
  CAL: 'warning',
  OFF: 'critical',
  BYPASS: 'warning',
  NOTOFF: 'info',
  NOTBYPASS: 'info',
  POLICY_WARNING: 'warning',
  POLICY_CRITICAL: 'critical',
  POLICY_NORMAL: 'info',
  SHUTDOWN_DONE: 'info',
  SHUTDOWN_ABORTED: 'critical',
  SHUTDOWN_TARGET_FAILED: 'critical',
  SHUTDOWN_CHECK_FAILED: 'critical',
  LOAD_OFF: 'warning',
  BATTERY_TEST: 'warning',
  STORE_FAILED: 'critical',
  STORE_OK: 'info',
  CONFIG_RELOADED: 'info',
  CONFIG_RELOAD_FAILED: 'warning',
  NUT_SERVER_FAILED: 'critical',
  RESTORE_STARTED: 'info',
  HOST_BACK: 'info',
  RESTORED: 'info',
  RESTORE_INCOMPLETE: 'warning',
  NOTIFY_FAILED: 'warning',
  NOTIFY_EXPIRED: 'critical',
  NOTIFY_TEST: 'info',
};
