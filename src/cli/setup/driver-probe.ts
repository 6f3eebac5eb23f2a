import { driverSchema } from '../../config/driver-schema.js';
import { resolveSecrets } from '../../config/secrets.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { CheckResult, Target } from '../../shutdown/drivers/driver.js';
import { createDrivers } from '../../shutdown/drivers/registry.js';
import { systemClock } from '../../util/clock.js';
import { withTimeout } from '../../util/timeout.js';
import type { Plain } from './draft.js';

export interface DriverProbe {
  /** The entry is valid and its endpoint and credentials answered. */
  readonly ok: boolean;
  /** The schema's problems, the check's failures: each one line, never a secret. */
  readonly problems: readonly string[];
  /** Failures of single targets (a VM without guest tools): said, not fatal; the dry run flags them too. */
  readonly warnings: readonly string[];
  readonly checks: readonly CheckResult[];
  readonly targets: readonly Target[];
}

/**
 * A `shutdown.drivers` entry as the appliance will use it: secrets read from their files, validated with the real
 * schema, the real driver built, then check() and discover() run (each bounded), as the daily dry run does.
 */
export async function probeDriver(entry: Plain, dir: string, log: Logger, timeoutMs: number): Promise<DriverProbe> {
  const { value, problems, unresolved } = resolveSecrets(entry, dir, process.env);
  const parsed = driverSchema.safeParse(value);
  const all = [...problems];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.map(String).join('.');
      if (!unresolved.has(path)) all.push(`${path || '(entry)'}: ${i.message}`);
    }
  }
  if (all.length > 0 || !parsed.success) return { ok: false, problems: all, checks: [], targets: [], warnings: [] };
  const name = parsed.data.name;
  let driver;
  try {
    driver = (await createDrivers([parsed.data], { clock: systemClock, log, baseDir: dir })).get(name);
  } catch (e) {
    return { ok: false, problems: [errorMessage(e)], checks: [], targets: [], warnings: [] };
  }
  if (driver === undefined)
    return { ok: false, problems: [`driver ${name} is disabled`], checks: [], targets: [], warnings: [] };
  try {
    const checks = await withTimeout(driver.check(), timeoutMs, `driver ${name} check`);
    const failed: string[] = [];
    let targets: Target[] = [];
    try {
      targets = await withTimeout(driver.discover(), timeoutMs, `driver ${name} discovery`);
    } catch (e) {
      failed.push(`discovery: ${errorMessage(e)}`);
    }
    // The endpoint and the hosts must answer; a VM's own trouble (no guest tools) is said and left to the dry run.
    const vms = new Set(targets.filter((t) => t.kind === 'vm').map((t) => t.name));
    const warnings: string[] = [];
    for (const c of checks.filter((x) => !x.ok)) {
      if (c.target !== undefined && vms.has(c.target)) warnings.push(c.message);
      else failed.push(c.message);
    }
    return { ok: failed.length === 0, problems: failed, checks, targets, warnings };
  } catch (e) {
    return { ok: false, problems: [errorMessage(e)], checks: [], targets: [], warnings: [] };
  } finally {
    const closable = driver as { close?: () => Promise<void> };
    await closable.close?.().catch(() => undefined);
  }
}
