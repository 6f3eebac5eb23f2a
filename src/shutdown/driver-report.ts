import { ErrorCode, errorMessage } from '../errors.js';
import { systemClock } from '../util/clock.js';
import { withTimeout } from '../util/timeout.js';
import type { CheckResult, PowerState, ShutdownDriver } from './drivers/driver.js';

/** What one driver found at its last check: its own credentials and reachability, and each target's state. */
export interface DriverReport {
  readonly driver: string;
  readonly ok: boolean;
  readonly checkedAt: number;
  readonly checks: readonly CheckResult[];
  readonly targets: readonly {
    readonly name: string;
    readonly kind: 'vm' | 'host';
    readonly host: string | null;
    readonly power: PowerState;
    /** Guest tools, where the platform reports them (vSphere): running, not running, or unknown. */
    readonly tools: 'running' | 'not-running' | null;
  }[];
}

function toolsOf(tags: readonly string[]): 'running' | 'not-running' | null {
  if (tags.includes('tools')) return 'running';
  if (tags.includes('no-tools')) return 'not-running';
  return null;
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(p, ms, what, systemClock, ErrorCode.DriverTimeout);
}

/**
 * Checks one driver the way the daily check does: credentials and reachability, discovery, and every target's power
 * state. Nothing here acts on power. Every call is bounded; a failure is part of the report, never thrown.
 */
export async function checkDriver(d: ShutdownDriver, now: () => number, callTimeoutMs: number): Promise<DriverReport> {
  const checks: CheckResult[] = [];
  const targets: DriverReport['targets'][number][] = [];
  try {
    checks.push(...(await bounded(d.check(), callTimeoutMs, `${d.name} check`)));
    for (const t of await bounded(d.discover(), callTimeoutMs, `${d.name} discovery`)) {
      let power: PowerState = 'unknown';
      try {
        power = await bounded(d.powerState(t), callTimeoutMs, `${d.name} read ${t.name}`);
      } catch (err) {
        checks.push({ target: t.name, ok: false, message: errorMessage(err) });
      }
      targets.push({ name: t.name, kind: t.kind, host: t.host ?? null, power, tools: toolsOf(t.tags) });
    }
  } catch (err) {
    checks.push({ ok: false, message: errorMessage(err) });
  }
  return { driver: d.name, ok: checks.every((c) => c.ok), checkedAt: now(), checks, targets };
}
