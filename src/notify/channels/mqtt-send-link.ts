import type { IClientOptions, MqttClient } from 'mqtt';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { REDACTED, redactSecrets, urlSecrets } from '../../util/redact.js';

export interface MqttSendLinkOptions {
  readonly url: string;
  readonly clientId: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly ca?: string | undefined;
  /** Retained messages said on each new connection before anything else (Home Assistant discovery). */
  readonly onConnect: readonly { readonly topic: string; readonly payload: string }[];
  /** A connection unused this long is closed: notifications are rare, a socket held for days is not needed. */
  readonly idleMs?: number;
}

/** `mqtt://host:port` of a broker URL: no userinfo, path or query (URL's `origin` is "null" for these schemes). */
export function brokerForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return REDACTED;
  }
}

const DEFAULT_IDLE_MS = 60_000;
const CLOSE_GRACE_MS = 2000;

/**
 * A broker connection for notifications: opened when a message is sent, kept while more follow, closed when idle.
 * A publish counts only once the broker's PUBACK came (QoS 1). It never retries by itself (mqtt.js's reconnect and
 * offline queue are off, and a failed connection is destroyed with whatever it still held): the notify queue owns
 * retries, so a message the queue gave up or sent again is never also resent from a library buffer.
 */
export class MqttSendLink {
  private client: MqttClient | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  /** Rejects every publish still waiting for its PUBACK on the connection that closed. */
  private readonly waiting = new Set<(err: Error) => void>();
  readonly where: string;
  private readonly secrets: readonly string[];

  constructor(private readonly o: MqttSendLinkOptions) {
    this.where = `mqtt ${brokerForLog(o.url)}`;
    this.secrets = [o.url, ...urlSecrets(o.url), o.password, o.username].filter(
      (s): s is string => s !== undefined && s !== '',
    );
  }

  /** Publishes QoS 1 and resolves on the PUBACK, all within `timeoutMs`; else rejects with NOTIFY_FAILED. */
  async publish(topic: string, payload: string, timeoutMs: number): Promise<void> {
    this.clearIdle();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.sendOn(topic, payload, timeoutMs), late]);
    } catch (err) {
      this.drop();
      throw new UpsguardError(
        ErrorCode.NotifyFailed,
        `${this.where}: ${redactSecrets(errorMessage(err), this.secrets)}`,
        { where: this.where },
      );
    } finally {
      clearTimeout(timer);
    }
    this.armIdle();
  }

  private async sendOn(topic: string, payload: string, timeoutMs: number): Promise<void> {
    const client = this.client?.connected === true ? this.client : await this.open(timeoutMs);
    await this.acked(client, topic, payload, false);
  }

  private async open(timeoutMs: number): Promise<MqttClient> {
    this.drop();
    // Loaded with the first notification: most appliances have no mqtt channel.
    const { connect } = await import('mqtt');
    const o = this.o;
    const options: IClientOptions = {
      clientId: o.clientId,
      keepalive: 60,
      connectTimeout: timeoutMs,
      reconnectPeriod: 0,
      clean: true,
      protocolVersion: 4,
      queueQoSZero: false,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
    };
    const client = connect(o.url, options);
    this.client = client;
    // Always listened to: an 'error' without a listener would throw out of the event loop.
    client.on('error', () => undefined);
    client.on('close', () => {
      if (this.client === client) this.client = null;
      const why = new Error('the connection closed before the broker acknowledged');
      for (const reject of [...this.waiting]) reject(why);
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        client.off('connect', ok);
        client.off('close', closed);
        reject(err);
      };
      const closed = (): void => {
        fail(new Error('the broker closed the connection before CONNACK'));
      };
      const ok = (): void => {
        client.off('error', fail);
        client.off('close', closed);
        resolve();
      };
      client.once('connect', ok);
      client.once('error', fail);
      client.once('close', closed);
    });
    for (const m of o.onConnect) await this.acked(client, m.topic, m.payload, true);
    return client;
  }

  private acked(client: MqttClient, topic: string, payload: string, retain: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.waiting.delete(settle);
        if (err) reject(err);
        else resolve();
      };
      this.waiting.add(settle);
      if (!client.connected) {
        settle(new Error('not connected'));
        return;
      }
      client.publish(topic, payload, { qos: 1, retain }, (err) => {
        settle(err ?? undefined);
      });
    });
  }

  /** Cuts the connection and forgets what mqtt.js still held for it. */
  private drop(): void {
    const c = this.client;
    this.client = null;
    c?.end(true);
  }

  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.close();
    }, this.o.idleMs ?? DEFAULT_IDLE_MS);
    this.idleTimer.unref();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** A clean DISCONNECT, cut after a short grace if the broker does not answer. */
  close(): void {
    this.clearIdle();
    const c = this.client;
    this.client = null;
    if (!c) return;
    const cut = setTimeout(() => c.end(true), CLOSE_GRACE_MS);
    cut.unref();
    c.end(false, () => {
      clearTimeout(cut);
    });
  }
}
