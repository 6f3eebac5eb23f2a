import type { IClientOptions, MqttClient } from 'mqtt';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../util/clock.js';

export interface MqttConnectionOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** PEM CA bundle for mqtts/wss. */
  readonly ca?: string | undefined;
  readonly keepaliveS: number;
  readonly connectTimeoutMs: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Retained on this topic by the broker when the connection dies without a goodbye. */
  readonly will: { readonly topic: string; readonly payload: string };
  readonly subscriptions: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  /** Every (re)connection: publish what the broker must hold. */
  readonly onConnect: () => void;
  readonly onMessage: (topic: string, payload: Buffer) => void;
}

/**
 * One broker connection with a last will, TLS and credentials, and its own reconnect: mqtt.js's fixed period is off,
 * and a lost connection is retried after a delay that doubles (with jitter) up to the cap, reset once connected.
 * Publishing while disconnected is dropped, not queued: the next connect publishes the whole retained state again.
 */
export class MqttConnection {
  private client: MqttClient | null = null;
  private timer: TimerHandle | null = null;
  private delayMs: number;
  private stopping = false;
  private wasConnected = false;
  private failuresLogged = 0;

  constructor(private readonly o: MqttConnectionOptions) {
    this.delayMs = o.reconnectMinMs;
  }

  async start(): Promise<void> {
    if (this.client) return;
    this.stopping = false;
    // Loaded here, not at module load: an appliance without `mqtt:` never pays for the library.
    const { connect } = await import('mqtt');
    const o = this.o;
    const options: IClientOptions = {
      clientId: o.clientId,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 0,
      clean: true,
      protocolVersion: 4,
      queueQoSZero: false,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), retain: true, qos: 1 },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
    };
    const client = connect(o.url, options);
    this.client = client;
    client.on('connect', () => {
      this.delayMs = o.reconnectMinMs;
      this.failuresLogged = 0;
      this.wasConnected = true;
      o.log.info({ broker: o.url }, `MQTT: connected to ${o.url}`);
      if (o.subscriptions.length > 0) {
        client.subscribe([...o.subscriptions], { qos: 1 }, (err) => {
          if (err) o.log.error({ err: errorMessage(err) }, 'MQTT: cannot subscribe to the command topics');
        });
      }
      try {
        o.onConnect();
      } catch (err) {
        o.log.error({ err: errorMessage(err) }, 'MQTT: publishing the state after connecting failed');
      }
    });
    client.on('message', (topic, payload) => {
      try {
        o.onMessage(topic, payload);
      } catch (err) {
        o.log.error({ err: errorMessage(err), topic }, 'MQTT: a message could not be handled');
      }
    });
    client.on('error', (err) => {
      // Said once per outage and then every tenth try: a broker that is down for hours must not fill the log.
      if (this.failuresLogged % 10 === 0) {
        o.log.warn({ broker: o.url, err: errorMessage(err) }, `MQTT: ${o.url}: ${errorMessage(err)}`);
      }
      this.failuresLogged += 1;
    });
    client.on('close', () => {
      if (this.stopping) return;
      if (this.wasConnected) {
        this.wasConnected = false;
        o.log.warn({ broker: o.url }, `MQTT: connection to ${o.url} lost; reconnecting`);
      }
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.timer !== null || this.stopping) return;
    const jitter = 0.8 + Math.random() * 0.4;
    const wait = Math.round(this.delayMs * jitter);
    this.delayMs = Math.min(this.o.reconnectMaxMs, this.delayMs * 2);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      if (!this.stopping && this.client && !this.client.connected) this.client.reconnect();
    }, wait);
  }

  connected(): boolean {
    return this.client?.connected === true;
  }

  /** Publishes when connected (QoS 1, so a retained state is known to be at the broker); otherwise drops it. */
  publish(topic: string, payload: string, retain: boolean): void {
    const c = this.client;
    if (!c?.connected) return;
    c.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err && !this.stopping) this.o.log.warn({ topic, err: errorMessage(err) }, 'MQTT: publish failed');
    });
  }

  /**
   * Says `offline` on the availability topic (the broker would otherwise hold the last `online` until the will
   * fires, which a clean disconnect suppresses), then disconnects, all within `budgetMs`; past it the socket is cut.
   */
  async stop(budgetMs: number, offline: { topic: string; payload: string }): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (!c) return;
    const half = Math.max(50, Math.floor(budgetMs / 2));
    const bounded = <T>(p: Promise<T>, ms: number): Promise<T | 'late'> => {
      let t: NodeJS.Timeout | undefined;
      return Promise.race([
        p.finally(() => clearTimeout(t)),
        new Promise<'late'>((r) => {
          t = setTimeout(() => r('late'), ms);
        }),
      ]);
    };
    try {
      if (c.connected) {
        await bounded(c.publishAsync(offline.topic, offline.payload, { qos: 1, retain: true }), half);
      }
      if ((await bounded(c.endAsync(), half)) === 'late') await c.endAsync(true);
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'MQTT: the goodbye did not complete; the connection is cut');
      c.end(true);
    }
  }
}
