import type { Config } from '../config/schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { buildSource, type BuiltSource } from '../ups/build-source.js';
import type { NewUpsEvent, UpsEvent, UpsSnapshot } from '../ups/events.js';
import { UpsMonitor } from '../ups/monitor.js';
import type { HidBackend } from '../ups/transport/hid-backend.js';
import type { RelayTransport } from '../ups/transport/relay-transport.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { UpsSource } from '../ups/ups-source.js';
import type { Clock } from '../util/clock.js';
import type { Part } from './part.js';

export interface UpsPartOptions {
  readonly config: Readonly<Config>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly baseDir: string;
  /** Replaces node-hid (tests); by default it is loaded only when a USB UPS is configured. */
  readonly hidBackend?: () => Promise<HidBackend>;
  readonly recordSnapshot: (s: UpsSnapshot) => void;
  readonly recordEvent: (e: NewUpsEvent) => UpsEvent;
  /** Every snapshot and event, after it was recorded. */
  readonly onSnapshot: (s: UpsSnapshot) => void;
  readonly onEvent: (e: UpsEvent) => void;
}

interface Watched {
  readonly handle: UpsHandle;
  readonly source: UpsSource;
  readonly built: BuiltSource;
  readonly monitor: UpsMonitor;
  readonly unsubscribe: readonly (() => void)[];
}

/** Every configured UPS: its source, its monitor, and the one handle the rest of the appliance uses. */
export class UpsPart implements Part {
  readonly name = 'ups';
  private watched: Watched[] = [];

  constructor(private readonly o: UpsPartOptions) {}

  handles(): readonly UpsHandle[] {
    return this.watched.map((w) => w.handle);
  }

  monitors(): readonly UpsMonitor[] {
    return this.watched.map((w) => w.monitor);
  }

  /** The agent's lists behind a relay-sourced UPS, for the devices page; null for any other UPS. */
  relayInventory(name: string): (() => ReturnType<RelayTransport['inventory']>) | null {
    const relay = this.watched.find((w) => w.handle.name === name)?.built.relay;
    return relay ? () => relay.inventory() : null;
  }

  async start(): Promise<void> {
    if (this.watched.length > 0) return;
    const cfg = this.o.config;
    for (const ups of cfg.ups) {
      const built = await buildSource(ups, {
        monitor: cfg.monitor,
        clock: this.o.clock,
        log: this.o.log,
        baseDir: this.o.baseDir,
        hidBackend:
          this.o.hidBackend ?? (async () => (await import('../ups/transport/node-hid-backend.js')).nodeHidBackend),
      });
      const monitor = new UpsMonitor(
        ups.name,
        built.source,
        {
          recordSnapshot: this.o.recordSnapshot,
          recordEvent: this.o.recordEvent,
          // The store fails over to memory by itself (STORE_FAILED comes from there); this is the last line.
          onStoreError: (err) => {
            this.o.log.error({ ups: ups.name, err: errorMessage(err) }, 'cannot record readings: going on from memory');
          },
        },
        {
          quickIntervalMs: cfg.monitor.quick_interval_s * 1000,
          fullIntervalMs: cfg.monitor.full_interval_s * 1000,
          noCommMs: 300_000,
        },
        this.o.clock,
        this.o.log.child({ part: 'monitor' }),
      );
      const source = built.source;
      const relay = built.relay;
      const handle: UpsHandle = {
        name: ups.name,
        ...(ups.description === undefined ? {} : { description: ups.description }),
        snapshot: () => monitor.snapshot(),
        problem: () => monitor.problem(),
        info: () => source.info(),
        diagnostics: () => ({ relay: relay ? relay.status() : null }),
        supportedCommands: () => source.supportedCommands(),
        command: (c, opts) => source.command(c, opts),
        loadOffHonoursDelay: () => source.loadOffHonoursDelay?.() ?? null,
        writableVariables: () => source.writableVariables?.() ?? [],
        driverVariables: () => source.driverVariables?.() ?? {},
        setVariable: (n, v) =>
          source.setVariable
            ? source.setVariable(n, v)
            : Promise.reject(new UpsguardError(ErrorCode.UpsCommandUnsupported, `${n} cannot be set on this UPS`)),
        ...(built.simulated ? { simulated: built.simulated } : {}),
      };
      const unsubscribe = [
        monitor.events.on('snapshot', (s) => {
          this.o.onSnapshot(s);
        }),
        monitor.events.on('event', (e) => {
          this.o.onEvent(e);
        }),
      ];
      this.watched.push({ handle, source, built, monitor, unsubscribe });
      built.start();
      await monitor.start();
    }
  }

  async stop(): Promise<void> {
    for (const w of [...this.watched].reverse()) {
      for (const u of w.unsubscribe) u();
      try {
        await w.monitor.stop();
      } catch (err) {
        this.o.log.error({ part: `monitor ${w.handle.name}`, err: errorMessage(err) }, 'stop failed');
      }
      try {
        w.built.stop();
      } catch (err) {
        this.o.log.error({ part: `source ${w.handle.name}`, err: errorMessage(err) }, 'stop failed');
      }
    }
    this.watched = [];
  }
}
