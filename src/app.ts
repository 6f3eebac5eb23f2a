import type { FastifyInstance } from 'fastify';
import { dirname } from 'node:path';
import type { LoadedConfig } from './config/load.js';
import { errorMessage } from './errors.js';
import type { Logger } from './log.js';
import { Jobs } from './schedule/jobs.js';
import { openDatabase, type Db } from './store/database.js';
import { EventsStore } from './store/events.js';
import { ReadingsStore } from './store/readings.js';
import { RunsStore, simClusterPersistence } from './store/shutdown-runs.js';
import { Notifier } from './notify/notifier.js';
import { shutdownJobs } from './shutdown/jobs.js';
import { ShutdownService } from './shutdown/service.js';
import { buildSource, type BuiltSource } from './ups/build-source.js';
import { UpsMonitor } from './ups/monitor.js';
import { startNutServer } from './ups/nut/app-nut.js';
import type { NutServer } from './ups/nut/nut-server.js';
import type { HidBackend } from './ups/transport/hid-backend.js';
import { systemClock, type Clock } from './util/clock.js';
import { Listeners } from './util/listeners.js';
import type { LiveEvents, WatchedUps } from './web/deps.js';
import { buildServer } from './web/server.js';

export interface AppOptions {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Replaces node-hid (tests); by default loaded lazily only when a USB UPS is configured. */
  readonly hidBackend?: () => Promise<HidBackend>;
}

interface Running {
  readonly name: string;
  readonly built: BuiltSource;
  readonly monitor: UpsMonitor;
}

/**
 * The composition root: builds every part from the frozen config, starts them in order (store, UPS sources and
 * monitors, jobs, web) and stops them in reverse. Stop is idempotent.
 */
export class App {
  readonly live: Listeners<LiveEvents>;
  private db: Db | null = null;
  private web: FastifyInstance | null = null;
  private jobs: Jobs | null = null;
  private nut: NutServer | null = null;
  private shutdownService: ShutdownService | null = null;
  private running: Running[] = [];
  private started = false;
  private readonly clock: Clock;
  readonly log: Logger;

  constructor(private readonly options: AppOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.live = new Listeners<LiveEvents>((event, err) => {
      this.log.error({ event, err: errorMessage(err) }, 'live listener failed');
    });
  }

  get config(): LoadedConfig['config'] {
    return this.options.loaded.config;
  }

  monitors(): readonly UpsMonitor[] {
    return this.running.map((r) => r.monitor);
  }

  simulated(name: string): BuiltSource['simulated'] {
    return this.running.find((r) => r.name === name)?.built.simulated;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const cfg = this.config;
    this.db = openDatabase(cfg.store.path);
    const readings = new ReadingsStore(this.db);
    const events = new EventsStore(this.db);
    const baseDir = this.options.loaded.isDemo ? process.cwd() : dirname(this.options.loaded.source);
    const hidBackend =
      this.options.hidBackend ?? (async () => (await import('./ups/transport/node-hid-backend.js')).nodeHidBackend);

    for (const ups of cfg.ups) {
      const built = await buildSource(ups, {
        monitor: cfg.monitor,
        clock: this.clock,
        log: this.log,
        baseDir,
        hidBackend,
      });
      const monitor = new UpsMonitor(
        ups.name,
        built.source,
        {
          recordSnapshot: (s) => {
            readings.record(s);
          },
          recordEvent: (e) => events.add(e),
        },
        {
          quickIntervalMs: cfg.monitor.quick_interval_s * 1000,
          fullIntervalMs: cfg.monitor.full_interval_s * 1000,
          deadTimeMs: cfg.monitor.dead_time_s * 1000,
          noCommMs: 300_000,
        },
        this.clock,
        this.log.child({ part: 'monitor' }),
      );
      monitor.events.on('snapshot', (s) => {
        this.live.emit('snapshot', s);
      });
      monitor.events.on('event', (e) => {
        this.live.emit('event', e);
      });
      this.running.push({ name: ups.name, built, monitor });
      built.start();
      await monitor.start();
    }

    this.nut = await startNutServer({
      config: cfg,
      ups: this.running.map((r) => ({
        name: r.name,
        description: cfg.ups.find((x) => x.name === r.name)?.description,
        snapshot: () => r.monitor.snapshot(),
        supportedCommands: () => r.built.source.supportedCommands(),
        command: (c, o) => r.built.source.command(c, o),
      })),
      clock: this.clock,
      log: this.log,
      baseDir,
    });

    const notifier = new Notifier({ config: cfg.notify, log: this.log.child({ part: 'notify' }) });
    this.live.on('event', (e) => {
      notifier.notify(e);
    });
    const recordEvent = (e: Parameters<EventsStore['add']>[0]): void => {
      this.live.emit('event', events.add(e));
    };
    const shutdownSources = this.running.map((r) => ({
      name: r.name,
      source: r.built.source,
      snapshot: () => r.monitor.snapshot(),
    }));
    const shutdown = new ShutdownService({
      config: cfg,
      journal: new RunsStore(this.db),
      simPersistence: simClusterPersistence(this.db),
      clock: this.clock,
      log: this.log.child({ part: 'shutdown' }),
      sources: shutdownSources,
      recordEvent,
      setFsd: (ups) => this.nut?.setForcedShutdown(ups),
      nutServer: () => this.nut,
      baseDir,
    });
    this.shutdownService = shutdown;
    this.live.on('snapshot', (s) => {
      shutdown.onSnapshot(s);
    });
    for (const r of this.running) {
      r.built.simulated?.events.on('state', (st) => shutdown.cluster?.setFeed(r.name, st.outputOn));
    }
    await shutdown.start();

    this.jobs = new Jobs(
      [
        ...shutdownJobs({
          schedule: cfg.schedule,
          service: shutdown,
          sources: shutdownSources,
          record: recordEvent,
          clock: this.clock,
        }),
        {
          name: 'store-retention',
          schedule: '17 * * * *',
          run: () => {
            const removed = readings.prune(this.clock.now(), {
              rawMs: cfg.store.raw_retention_hours * 3_600_000,
              minuteMs: cfg.store.minute_retention_days * 86_400_000,
              hourMs: cfg.store.hour_retention_days * 86_400_000,
            });
            this.log.info({ removed }, 'store retention applied');
          },
        },
      ],
      this.log.child({ part: 'jobs' }),
    );
    this.jobs.start();

    const watched: WatchedUps[] = this.running.map((r) => {
      const u = cfg.ups.find((x) => x.name === r.name);
      return {
        name: r.name,
        description: u?.description,
        snapshot: () => r.monitor.snapshot(),
        source: () => r.built.source.info(),
        problem: () => r.monitor.problem(),
        ...(r.built.relay ? { relay: () => r.built.relay!.status() } : {}),
      };
    });
    this.web = buildServer({
      ups: watched,
      events,
      readings,
      live: this.live,
      log: this.log,
      now: () => this.clock.now(),
      shutdown,
      jobs: this.jobs,
    });
  }

  /** Starts listening; returns the address the page is at. */
  async listen(host = this.config.web.host, port = this.config.web.port): Promise<string> {
    if (!this.web) throw new Error('start() first');
    await this.web.listen({ host, port });
    const addr = this.web.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  }

  /** Policy, plan and runner; null before start. */
  shutdown(): ShutdownService | null {
    return this.shutdownService;
  }

  /** The NUT server (FSD latch, logins), or null when disabled or its port was taken. */
  nutServer(): NutServer | null {
    return this.nut;
  }

  server(): FastifyInstance {
    if (!this.web) throw new Error('start() first');
    return this.web;
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const step = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.log.error({ part: what, err: errorMessage(err) }, 'stop failed');
      }
    };
    await step('web', async () => this.web?.close());
    await step('jobs', async () => this.jobs?.stop());
    await step('shutdown', () => this.shutdownService?.stop());
    this.shutdownService = null;
    await step('nut', async () => this.nut?.stop());
    this.nut = null;
    for (const r of [...this.running].reverse()) {
      await step(`monitor ${r.name}`, () => r.monitor.stop());
      await step(`source ${r.name}`, () => {
        r.built.stop();
      });
    }
    this.running = [];
    await step('store', () => {
      this.db?.close();
    });
    this.db = null;
    this.web = null;
  }
}
