import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { Db } from '../../src/store/database.js';
import type { ShutdownDriver } from '../../src/shutdown/drivers/driver.js';
import { RunsStore, simClusterPersistence } from '../../src/store/shutdown-runs.js';
import { ShutdownService, type WatchedSource } from '../../src/shutdown/service.js';
import type { NewUpsEvent, UpsSnapshot } from '../../src/ups/events.js';
import type { ManualClock } from '../../src/util/clock.js';
import { clusterInput } from './fixtures.js';

/** A UPS the test sets by hand: its snapshot, and the load-off commands it was sent. */
export class HandUps implements WatchedSource {
  readonly commands: { cmd: string; opts: unknown }[] = [];
  current: UpsSnapshot;
  constructor(readonly name: string) {
    this.current = { ups: name, at: 0, variables: {}, status: [], comms: 'unknown', lastContactAt: 0 };
  }
  command(cmd: string, opts?: unknown): Promise<void> {
    this.commands.push({ cmd, opts });
    return Promise.resolve();
  }
  supportedCommands(): readonly never[] {
    return [];
  }
  loadOffHonoursDelay(): boolean | null {
    return null;
  }
  snapshot(): UpsSnapshot {
    return this.current;
  }
  set(at: number, status: string[], vars: Record<string, string> = {}): UpsSnapshot {
    this.current = {
      ups: this.name,
      at,
      variables: { 'battery.charge': '50', 'battery.runtime': '1200', ...vars },
      status,
      comms: 'ok',
      lastContactAt: at,
    };
    return this.current;
  }
}

/** The runner tests' cluster and plan, with estimates the load-off delay covers. */
export function serviceShutdown(): Record<string, unknown> {
  return { ...(clusterInput() as Record<string, unknown>), default_estimate_s: { vm: 60, host: 30 } };
}

export function serviceConfig(shutdown: unknown = serviceShutdown(), extra: Partial<ConfigInput> = {}) {
  return validateConfig(
    {
      store: { path: ':memory:' },
      ups: [{ name: 'ups1', source: { kind: 'sim', scenario: 'steady' } }],
      shutdown: shutdown as never,
      schedule: { dry_run: '' },
      ...extra,
    },
    'test',
    process.cwd(),
    {},
  ).config;
}

export function service(
  db: Db,
  clock: ManualClock,
  ups: HandUps,
  opts: {
    config?: ReturnType<typeof serviceConfig>;
    log?: Logger;
    events?: NewUpsEvent[];
    drivers?: ReadonlyMap<string, ShutdownDriver>;
    setFsd?: (ups: string) => void;
    clearFsd?: (ups: string) => void;
  } = {},
): ShutdownService {
  return new ShutdownService({
    config: opts.config ?? serviceConfig(),
    journal: new RunsStore(db),
    simPersistence: simClusterPersistence(db),
    clock,
    log: opts.log ?? createLogger({ level: 'silent' }),
    sources: [ups],
    recordEvent: (e) => opts.events?.push(e),
    identity: { macs: ['02:00:00:00:00:01'], hostname: 'x' },
    ...(opts.drivers ? { drivers: opts.drivers } : {}),
    ...(opts.setFsd ? { setFsd: opts.setFsd } : {}),
    ...(opts.clearFsd ? { clearFsd: opts.clearFsd } : {}),
  });
}

/** Lets promises and setImmediate callbacks run, without moving the clock. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Advances the clock in steps until `done()` holds. */
export async function driveUntil(
  clock: ManualClock,
  done: () => boolean,
  stepMs = 100,
  maxMs = 3_600_000,
): Promise<void> {
  for (let t = 0; !done() && t < maxMs; t += stepMs) {
    await settle(5);
    if (!done()) clock.advance(stepMs);
  }
  if (!done()) throw new Error(`not done after ${maxMs} ms of clock time`);
}
