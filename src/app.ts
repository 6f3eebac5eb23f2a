import type { FastifyInstance } from 'fastify';
import { JobsPart } from './app/jobs-part.js';
import { NotifyPart } from './app/notify-part.js';
import { NutPart } from './app/nut-part.js';
import { ApcupsdNisPart } from './integrations/apcupsd/apcupsd-nis-part.js';
import { packageVersion } from './ups/nut/app-nut.js';
import { PartList } from './app/part.js';
import { storeFileSize } from './integrations/metrics/store-size.js';
import { MqttPart } from './integrations/mqtt/mqtt-part.js';
import { shutdownFacade } from './app/shutdown-facade.js';
import { ShutdownPart } from './app/shutdown-part.js';
import { StorePart } from './app/store-part.js';
import { UpsPart } from './app/ups-part.js';
import { WebPart } from './app/web-part.js';
import { policyEditFacade } from './app/policy-edit-facade.js';
import { ConfigReloader, type ReloadOutcome } from './app/reload.js';
import { swapPart } from './app/part-swap.js';
import { ConfigEditor } from './config/edit/config-editor.js';
import { LiveConfig } from './config/live-config.js';
import type { LoadedConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { ErrorCode, UpsguardError, errorMessage } from './errors.js';
import type { Logger } from './log.js';
import type { ShutdownService } from './shutdown/service.js';
import type { StoreHealth } from './store/failover-db.js';
import type { NewUpsEvent, UpsEvent } from './ups/events.js';
import type { UpsMonitor } from './ups/monitor.js';
import type { NutServer } from './ups/nut/nut-server.js';
import type { SimulatedUps } from './ups/sim/simulated-ups.js';
import type { HidBackend } from './ups/transport/hid-backend.js';
import type { UpsHandle } from './ups/ups-handle.js';
import { systemClock, type Clock } from './util/clock.js';
import { Listeners } from './util/listeners.js';
import type { LiveEvents, WebDeps } from './web/deps.js';
import { nutState } from './web/routes/nut.js';
import type { WebServerOptions } from './web/server.js';
import { buildAppAuth, type AppAuth } from './web/auth/app-auth.js';
import { demoLoginLine } from './web/auth/demo-login.js';
import { demoNutLine } from './ups/nut/demo-users.js';
import type { DemoLogin } from './web/auth/web-auth.js';
import { announceCertificate } from './web/tls/announce.js';
import { webCertificate, webTlsSettings } from './web/tls/web-certificate.js';

export interface AppOptions {
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Replaces node-hid (tests); by default loaded lazily only when a USB UPS is configured. */
  readonly hidBackend?: () => Promise<HidBackend>;
  /** How long stop may take in all before the parts still stopping are left behind (default: stop_timeout_s). */
  readonly stopTimeoutMs?: number;
  /** How often a store that fell back to memory tries its file again (default: store.retry_s). */
  readonly storeRetryMs?: number;
}

/**
 * The composition root: a list of parts built from the frozen config, started in order (store, UPS, NUT server,
 * notifications, shutdown, jobs, web) and stopped in reverse, each stop isolated and bounded. The parts meet through
 * the UPS handles and one live event bus; nothing else is shared.
 */
export class App {
  readonly live: Listeners<LiveEvents>;
  readonly log: Logger;
  private readonly clock: Clock;
  private readonly parts: PartList;
  private started = false;
  private store: StorePart | null = null;
  private ups: UpsPart | null = null;
  private nut: NutPart | null = null;
  private shutdownPart: ShutdownPart | null = null;
  private jobs: JobsPart | null = null;
  private web: WebPart | null = null;
  private demoLogin: DemoLogin | null = null;
  private editor: ConfigEditor | null = null;
  /** Every part's name once all have started: what /readyz expects to be running. */
  private allParts: readonly string[] | null = null;
  private reloader: ConfigReloader | null = null;
  /** The web and NUT server sections the running parts were built from (a reload may have restarted them). */
  private webInForce: Config['web'] | null = null;
  private nutInForce: Config['nut_server'] | null = null;
  /** Where the page was told to listen (null: not listening, tests that inject). */
  private webAt: { host: string; port: number } | null = null;
  /** Builds the web part (or the NUT server part) from a section: at start, and again when a reload restarts it. */
  private webFor: ((web: Config['web'], auth: AppAuth) => WebPart) | null = null;
  private nutFor: ((nut: Config['nut_server']) => NutPart) | null = null;

  constructor(private readonly options: AppOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.parts = new PartList(options.log);
    this.live = new Listeners<LiveEvents>((event, err) => {
      this.log.error({ event, err: errorMessage(err) }, 'live listener failed');
    });
  }

  get config(): LoadedConfig['config'] {
    return this.options.loaded.config;
  }

  /** The UPS handles, one per configured UPS; empty before start. */
  handles(): readonly UpsHandle[] {
    return this.ups?.handles() ?? [];
  }

  monitors(): readonly UpsMonitor[] {
    return this.ups?.monitors() ?? [];
  }

  simulated(name: string): SimulatedUps | undefined {
    return this.handles().find((h) => h.name === name)?.simulated;
  }

  storeHealth(): StoreHealth | null {
    return this.store?.health() ?? null;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      await this.startParts();
      this.allParts = this.parts.names();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    const cfg = this.config;
    const clock = this.clock;
    const log = this.log;
    // Every relative path in the config was resolved from its file's directory at load; this is that directory.
    const baseDir = this.options.loaded.baseDir;

    const store = new StorePart({
      path: cfg.store.path,
      clock,
      log,
      retryMs: this.options.storeRetryMs ?? cfg.store.retry_s * 1000,
      onHealth: (h) => {
        this.storeHealthChanged(h);
      },
    });
    this.store = await this.parts.start(store);
    const recordEvent = (e: NewUpsEvent): UpsEvent => {
      const written = store.events.add(e);
      this.live.emit('event', written);
      return written;
    };
    const startHealth = store.health();
    if (startHealth.state === 'memory') this.storeHealthChanged(startHealth);

    const ups = new UpsPart({
      config: cfg,
      clock,
      log,
      baseDir,
      ...(this.options.hidBackend ? { hidBackend: this.options.hidBackend } : {}),
      recordSnapshot: (s) => {
        store.readings.record(s);
      },
      recordEvent: (e) => store.events.add(e),
      onSnapshot: (s) => {
        this.live.emit('snapshot', s);
      },
      onEvent: (e) => {
        this.live.emit('event', e);
      },
    });
    // Notifications first: the first thing the UPS part may say is that the UPS cannot be reached.
    const notify = await this.parts.start(
      new NotifyPart({ config: cfg, live: this.live, log, clock, db: () => store.db, recordEvent }),
    );
    this.ups = await this.parts.start(ups);
    // A NUT server restarted by a reload is built without recordEvent: its failure to bind refuses the reload, which
    // is the event; the old server goes on serving.
    this.nutFor = (nutServer) =>
      new NutPart({ config: { ...cfg, nut_server: nutServer }, ups: () => ups.handles(), clock, log, baseDir });
    this.nut = await this.parts.start(
      new NutPart({ config: cfg, ups: () => ups.handles(), clock, log, baseDir, recordEvent }),
    );
    this.nutInForce = cfg.nut_server;
    const firstNut = this.nut;
    // The NUT server part in force now: a reload may have swapped it.
    const nut = (): NutPart => this.nut ?? firstNut;
    const nis = cfg.apcupsd_nis;
    if (nis.enabled) {
      const served = () => ups.handles().find((h) => nis.ups === undefined || h.name === nis.ups);
      await this.parts.start(
        new ApcupsdNisPart({
          host: nis.listen,
          port: nis.port,
          ups: served,
          events: (name, limit) => store.events.page({ ups: name }, null, limit).events,
          clock,
          log: log.child({ part: 'apcupsd-nis' }),
          version: packageVersion(),
        }),
      );
    }
    // Policy and plan edited on the page go in force here, without a restart; everything else stays as loaded.
    const liveConfig = new LiveConfig(cfg);
    this.shutdownPart = await this.parts.start(
      new ShutdownPart({
        config: cfg,
        current: () => liveConfig.current(),
        store,
        ups: () => ups.handles(),
        sources: () => ups.handles(),
        live: this.live,
        recordEvent,
        nut: () => nut().current(),
        clock,
        log,
        baseDir,
      }),
    );
    const shutdown = this.shutdownPart;
    const editor = new ConfigEditor({
      loaded: this.options.loaded,
      live: liveConfig,
      applied: async (section) => {
        const service = shutdown.current();
        if (section === 'policy') service?.evaluate();
        else await service?.refreshPlan();
      },
    });
    this.editor = editor;
    // SIGHUP: the file again, through the same live path as the page's edits; the UPS sources are never touched.
    this.reloader = new ConfigReloader({
      loaded: this.options.loaded,
      current: () => ({
        ...liveConfig.current(),
        web: this.webInForce ?? cfg.web,
        nut_server: this.nutInForce ?? cfg.nut_server,
      }),
      apply: (section, validated) => editor.putInForce(section, validated),
      restart: {
        web: (validated) => this.restartWeb(validated.web),
        nut_server: (validated) => this.restartNut(validated.nut_server),
      },
      adopted: () => {
        editor.adoptFile();
      },
      recordEvent,
      log,
      now: () => clock.now(),
    });
    this.jobs = await this.parts.start(
      new JobsPart({
        config: cfg,
        store,
        shutdown: () => shutdown.current(),
        sources: () => ups.handles(),
        recordEvent,
        clock,
        log,
      }),
    );
    const jobs = this.jobs;
    // MQTT / Home Assistant: only with an `mqtt:` section; a broker that is down never holds up the start.
    if (cfg.mqtt) {
      const mqtt = cfg.mqtt;
      await this.parts.start(
        new MqttPart({
          config: mqtt,
          ups: () => ups.handles(),
          live: this.live,
          shutdown: () => {
            const service = shutdown.current();
            return service ? shutdownFacade(service) : null;
          },
          clock,
          log,
          stopTimeoutMs: Math.max(100, Math.floor((this.options.stopTimeoutMs ?? cfg.stop_timeout_s * 1000) / 4)),
        }),
      );
    }
    // HTTPS off loopback; the certificate is judged by wall-clock time (browsers do), not by the app's clock.
    const webTransport = (web: Config['web']) => {
      const tls = webTlsSettings({ ...this.options.loaded, config: { ...cfg, web } });
      return { host: web.host, certificateFor: (host: string) => webCertificate(tls, host, log) };
    };
    const webDeps =
      (web: Config['web'], { auth, accounts }: AppAuth) =>
      (): WebDeps => {
        const service = shutdown.current();
        const n = nut();
        return {
          ups: ups.handles(),
          events: store.events,
          readings: store.readings,
          store: () => store.health(),
          live: this.live,
          log,
          now: () => clock.now(),
          ...(service ? { shutdown: shutdownFacade(service) } : {}),
          jobs: jobs.current(),
          notify: notify.facade(),
          auth,
          accounts,
          ...(service ? { policyEdit: policyEditFacade(service, editor, { publicStatus: web.public_status }) } : {}),
          metrics: {
            networks: web.metrics_networks,
            storeSizeBytes: () => storeFileSize(cfg.store.path),
          },
          health: { parts: () => this.partsState() },
          readApis: {
            quickIntervalMs: cfg.monitor.quick_interval_s * 1000,
            commands: ups.handles(),
            relayInventory: (name: string) => ups.relayInventory(name),
            nut: () => nutState(n.current(), n.whyNotRunning(), n.mdnsState()),
          },
        };
      };
    this.webFor = (web, built) =>
      new WebPart(webDeps(web, built), { ...webOptions(web), transport: webTransport(web) });
    // Users, tokens, sessions and the audit log: in the store, so a restart keeps who is logged in.
    const built = await buildAppAuth({
      db: store.db,
      now: () => clock.now(),
      config: cfg,
      isDemo: this.options.loaded.isDemo,
      log,
    });
    this.demoLogin = built.demo;
    this.web = await this.parts.start(this.webFor(cfg.web, built));
    this.webInForce = cfg.web;
  }

  /**
   * A reload changed `web:`: a new web part (new listen address, certificate, limits, auth settings) replaces the
   * running one. The old one serves until the new one listens, or, on the same address, is started again when the
   * new one fails; the error then refuses the reload.
   */
  private async restartWeb(web: Config['web']): Promise<void> {
    const old = this.web;
    const webFor = this.webFor;
    const store = this.store;
    if (!old || !webFor || !store) throw new Error('the web console is not running');
    const built = await buildAppAuth({
      db: store.db,
      now: () => this.clock.now(),
      config: { ...this.config, web },
      isDemo: false,
      log: this.log,
    });
    const fresh = webFor(web, built);
    const at = this.webAt;
    // Set inside bringUp (a callback, so a plain `let` would stay narrowed to null here).
    const listening: { url: string | null } = { url: null };
    await swapPart({
      old,
      next: fresh,
      sameAddress: at !== null && at.port !== 0 && at.host === web.host && at.port === web.port,
      bringUp: async (p) => {
        await p.start();
        if (!at) return;
        const to = p === fresh ? web : at;
        try {
          listening.url = await p.listen(to.host, to.port);
        } catch (err) {
          throw new UpsguardError(
            ErrorCode.ConfigInvalid,
            `web: cannot listen on ${to.host}:${to.port}: ${errorMessage(err)}; the console goes on at its old address`,
          );
        }
      },
      stop: (p) => p.stop(),
    });
    this.parts.replace(old, fresh);
    this.web = fresh;
    this.webInForce = web;
    if (at) this.webAt = { host: web.host, port: web.port };
    const certificate = fresh.served();
    const url = listening.url;
    if (url !== null) {
      if (certificate) announceCertificate(this.log, url, certificate, new Date());
      this.log.info({ part: 'web', url }, `web console restarted with the new settings at ${url}`);
    }
  }

  /**
   * A reload changed `nut_server:`: a new NUT server replaces the running one, keeping every FSD latch (a run in
   * progress told the followers to shut down, and they must go on hearing it). Followers reconnect, as they do to a
   * restarted upsd.
   */
  private async restartNut(section: Config['nut_server']): Promise<void> {
    const old = this.nut;
    const nutFor = this.nutFor;
    const was = this.nutInForce;
    if (!old || !nutFor || !was) throw new Error('the appliance is not running');
    const running = old.current();
    const latched = this.handles()
      .map((h) => h.name)
      .filter((name) => running?.isForcedShutdown(name) === true);
    const fresh = nutFor(section);
    await swapPart({
      old,
      next: fresh,
      sameAddress:
        running !== null &&
        section.enabled &&
        section.port !== 0 &&
        section.host === was.host &&
        section.port === was.port,
      bringUp: async (p) => {
        await p.start();
        const why = p.whyNotRunning();
        if (why !== null && why !== 'disabled') {
          const c = p === fresh ? section : was;
          throw new UpsguardError(
            ErrorCode.NutUnavailable,
            `nut_server: cannot listen on ${c.host}:${c.port}: ${why}; the NUT server goes on as it was`,
          );
        }
        for (const name of latched) p.current()?.setForcedShutdown(name, 'kept over a NUT server restart');
      },
      stop: (p) => p.stop(),
    });
    this.parts.replace(old, fresh);
    this.nut = fresh;
    this.nutInForce = section;
    const addr = fresh.current()?.address();
    this.log.info(
      { part: 'nut-server', ...(addr ? { host: addr.host, port: addr.port } : {}) },
      addr
        ? `NUT server restarted with the new settings on ${addr.host}:${addr.port}`
        : 'NUT server stopped (disabled)',
    );
  }

  private storeHealthChanged(h: StoreHealth): void {
    const store = this.store;
    const message =
      h.state === 'ok'
        ? `the store at ${h.path} takes writes again: history is being kept`
        : `history is not being kept on disk (${h.reason}); protection goes on from memory and the store is retried`;
    if (h.state === 'ok') this.log.info({ store: h.path }, message);
    else this.log.error({ store: h.path, err: h.reason }, message);
    if (!store) return;
    try {
      const e = store.events.add({
        at: this.clock.now(),
        type: h.state === 'ok' ? 'STORE_OK' : 'STORE_FAILED',
        ups: '',
        message,
      });
      this.live.emit('event', e);
    } catch (err) {
      this.log.error({ err: errorMessage(err) }, 'cannot record the store event');
    }
  }

  /** Starts listening; returns the address the page is at. */
  async listen(host = this.config.web.host, port = this.config.web.port): Promise<string> {
    const web = this.web;
    if (!web) throw new Error('start() first');
    const url = await web.listen(host, port);
    this.webAt = { host, port };
    const certificate = web.served();
    if (certificate) announceCertificate(this.log, url, certificate, new Date());
    // The demo's one-command start: the login is on the terminal (and the login page shows it to loopback callers).
    if (this.demoLogin) {
      const line = demoLoginLine(this.demoLogin, url);
      this.log.info(line);
      process.stdout.write(`${line}\n`);
      const nutLine = demoNutLine(this.config, this.nut?.current()?.address() ?? null);
      // On the terminal only: the log keeps no passwords, even the demo's public ones.
      if (nutLine) process.stdout.write(`${nutLine}\n`);
    }
    return url;
  }

  /** Policy, plan and runner; null before start. */
  shutdown(): ShutdownService | null {
    return this.shutdownPart?.current() ?? null;
  }

  /** Edits policy and plan in the config file and puts them in force; null before start. */
  configEditor(): ConfigEditor | null {
    return this.editor;
  }

  /** Reads and validates the config file again and applies what can change live (SIGHUP); refused before start. */
  async reload(): Promise<ReloadOutcome> {
    if (!this.reloader) return { ok: false, problems: ['the service is not running'] };
    return this.reloader.reload();
  }

  /** The NUT server (FSD latch, logins), or null when disabled or its port was taken. */
  nutServer(): NutServer | null {
    return this.nut?.current() ?? null;
  }

  /** The parts running now, and those of a complete start that are not (still starting, or stopping). */
  private partsState(): { started: readonly string[]; missing: readonly string[] } {
    const started = this.parts.names();
    const all = this.allParts;
    if (all === null) return { started, missing: ['(the appliance is still starting)'] };
    return { started, missing: all.filter((n) => !started.includes(n)) };
  }

  server(): FastifyInstance {
    const web = this.web?.current();
    if (!web) throw new Error('start() first');
    return web;
  }

  /** Stops every part in reverse order within the stop budget; resolves true when every part stopped in time. */
  async stop(): Promise<boolean> {
    if (!this.started) return true;
    this.started = false;
    const clean = await this.parts.stopAll(this.options.stopTimeoutMs ?? this.config.stop_timeout_s * 1000);
    this.store = null;
    this.ups = null;
    this.nut = null;
    this.shutdownPart = null;
    this.jobs = null;
    this.web = null;
    this.editor = null;
    this.reloader = null;
    this.webAt = null;
    return clean;
  }
}

function webOptions(w: LoadedConfig['config']['web']): Partial<WebServerOptions> {
  return {
    requestTimeoutMs: w.request_timeout_ms,
    headersTimeoutMs: w.headers_timeout_ms,
    keepAliveTimeoutMs: w.keep_alive_timeout_ms,
    connectionTimeoutMs: w.connection_timeout_ms,
    maxConnectionsPerAddress: w.max_connections_per_address,
    maxConnections: w.max_connections,
    bodyLimitBytes: w.body_limit_bytes,
    streamMaxUnsentBytes: w.stream_max_unsent_bytes,
    streamStallMs: w.stream_stall_ms,
    maxStreams: w.max_streams,
    maxStreamsPerAddress: w.max_streams_per_address,
  };
}
