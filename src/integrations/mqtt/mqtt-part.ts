import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Part } from '../../app/part.js';
import type { MqttConfig } from '../../config/mqtt-schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { UpsSnapshot } from '../../ups/events.js';
import type { UpsHandle } from '../../ups/ups-handle.js';
import type { Clock } from '../../util/clock.js';
import type { Listeners } from '../../util/listeners.js';
import type { LiveEvents } from '../../web/deps.js';
import type { ShutdownFacade } from '../../web/facade.js';
import { parseCommand, runCommand } from './commands.js';
import { applianceDiscovery, upsDiscovery } from './discovery.js';
import { MqttConnection } from './mqtt-connection.js';
import { decisionPayload, planPayload, stateKey, upsStatePayload } from './payloads.js';
import { haId, MqttTopics } from './topics.js';

export interface MqttPartOptions {
  readonly config: MqttConfig;
  readonly ups: () => readonly UpsHandle[];
  readonly live: Listeners<LiveEvents>;
  /** The shutdown side, through the web's façade; null without one. */
  readonly shutdown: () => ShutdownFacade | null;
  readonly clock: Clock;
  readonly log: Logger;
  /** Bounds stop(): the offline message and the disconnect. */
  readonly stopTimeoutMs: number;
  /** This appliance's name in Home Assistant and the default client id; default the host name. */
  readonly appliance?: string;
}

const ONLINE = 'online';
const OFFLINE = 'offline';

/**
 * Publishes each UPS's state and readings, the policy decision and the plan's status as retained topics, with Home
 * Assistant discovery, and takes the instant commands the config allows. It reads the same UPS handles and façade
 * as the web; a broker that is down costs nothing but reconnect attempts.
 */
export class MqttPart implements Part {
  readonly name = 'mqtt';
  private connection: MqttConnection | null = null;
  private unsubscribe: (() => void)[] = [];
  private readonly lastState = new Map<string, { key: string; at: number }>();
  /** The device identity each UPS's discovery was last published with: said again when the first reading names it. */
  private readonly described = new Map<string, string>();
  private sentence: string | null = null;
  private readonly topics: MqttTopics;
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly o: MqttPartOptions) {
    this.topics = new MqttTopics(o.config.topic_prefix, o.config.discovery_prefix);
    this.allowed = new Set(o.config.allow_commands);
  }

  private appliance(): string {
    return this.o.appliance ?? hostname();
  }

  async start(): Promise<void> {
    if (this.connection) return;
    const c = this.o.config;
    const log = this.o.log.child({ part: 'mqtt' });
    const connection = new MqttConnection({
      url: c.url,
      clientId: c.client_id ?? haId(`upsguard-${this.appliance()}`).slice(0, 64),
      username: c.username,
      password: c.password,
      // Read at start (config check read it too): a CA replaced on disk is taken at the next restart.
      ca: c.ca_file === undefined ? undefined : readFileSync(c.ca_file, 'utf8'),
      keepaliveS: c.keepalive_s,
      connectTimeoutMs: c.connect_timeout_ms,
      reconnectMinMs: c.reconnect_min_ms,
      reconnectMaxMs: c.reconnect_max_ms,
      will: { topic: this.topics.availability(), payload: OFFLINE },
      subscriptions: [this.topics.commandFilter()],
      clock: this.o.clock,
      log,
      onConnect: () => {
        this.publishAll();
      },
      onMessage: (topic, payload) => {
        this.onMessage(topic, payload, log);
      },
    });
    this.connection = connection;
    const live = this.o.live;
    this.unsubscribe = [
      live.on('snapshot', (s) => {
        this.publishState(s, false);
      }),
      live.on('decision', (d) => {
        this.sentence = d.sentence;
        this.publishDecision();
      }),
      live.on('run', () => {
        this.publishPlan();
      }),
    ];
    await connection.start();
  }

  /** Everything the broker holds for us: availability, discovery, every state. Called on each (re)connect. */
  private publishAll(): void {
    const conn = this.connection;
    if (!conn) return;
    conn.publish(this.topics.availability(), ONLINE, true);
    this.described.clear();
    if (this.o.config.discovery) {
      for (const m of applianceDiscovery(this.topics, this.appliance())) {
        conn.publish(m.topic, JSON.stringify(m.payload), true);
      }
    }
    for (const h of this.o.ups()) this.publishState(h.snapshot(), true);
    this.publishDecision();
    this.publishPlan();
  }

  private publishUpsDiscovery(h: UpsHandle, s: UpsSnapshot): void {
    const v = s.variables;
    const identity = [v['device.mfr'], v['device.model'], v['device.serial']].join('|');
    if (this.described.get(h.name) === identity) return;
    this.described.set(h.name, identity);
    const commands = h.supportedCommands().filter((c) => this.allowed.has(c));
    for (const m of upsDiscovery(this.topics, this.appliance(), h, s, commands)) {
      this.connection?.publish(m.topic, JSON.stringify(m.payload), true);
    }
  }

  /** A change of status or contact goes out at once; readings alone at most every publish_interval_s. */
  private publishState(s: UpsSnapshot, force: boolean): void {
    const conn = this.connection;
    if (!conn?.connected()) return;
    const now = this.o.clock.now();
    const key = stateKey(s);
    const last = this.lastState.get(s.ups);
    const due = !last || last.key !== key || now - last.at >= this.o.config.publish_interval_s * 1000;
    if (!force && !due) return;
    // The device's maker and model arrive with the first reading: discovery is said again when they do.
    if (this.o.config.discovery) {
      const h = this.o.ups().find((u) => u.name === s.ups);
      if (h) this.publishUpsDiscovery(h, s);
    }
    this.lastState.set(s.ups, { key, at: now });
    conn.publish(this.topics.upsState(s.ups), JSON.stringify(upsStatePayload(s)), true);
    conn.publish(this.topics.upsVariables(s.ups), JSON.stringify(s.variables), true);
    if (last?.key !== key) this.publishDecision();
  }

  private publishDecision(): void {
    const d = this.o.shutdown()?.decision() ?? null;
    if (!d) return;
    this.connection?.publish(this.topics.decision(), JSON.stringify(decisionPayload(d, this.sentence)), true);
  }

  private publishPlan(): void {
    const f = this.o.shutdown();
    if (!f) return;
    this.connection?.publish(this.topics.plan(), JSON.stringify(planPayload(f)), true);
  }

  private onMessage(topic: string, payload: Buffer, log: Logger): void {
    const ups = this.topics.upsOfCommand(topic);
    if (ups === null) return;
    const reply = (body: { command: string; ok: boolean; message: string }): void => {
      this.connection?.publish(this.topics.commandResult(ups), JSON.stringify(body), false);
    };
    let req;
    try {
      req = parseCommand(payload);
    } catch (err) {
      log.warn({ ups, err: errorMessage(err) }, `MQTT: a command for ${ups} was refused: ${errorMessage(err)}`);
      reply({ command: '', ok: false, message: errorMessage(err) });
      return;
    }
    const handle = this.o.ups().find((h) => h.name === ups);
    if (!handle) {
      reply({ command: req.command, ok: false, message: `refused: no UPS named ${ups}` });
      return;
    }
    void runCommand(handle, this.allowed, req).then((outcome) => {
      if (outcome.ok) log.info({ ups, command: outcome.command }, `MQTT: ${outcome.message}`);
      else log.warn({ ups, command: outcome.command }, `MQTT: ${outcome.message}`);
      reply(outcome);
    });
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    const conn = this.connection;
    this.connection = null;
    this.lastState.clear();
    this.described.clear();
    await conn?.stop(this.o.stopTimeoutMs, { topic: this.topics.availability(), payload: OFFLINE });
  }
}
