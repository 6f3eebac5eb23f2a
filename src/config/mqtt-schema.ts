import { z } from 'zod';

/** A topic level we build topics from: no MQTT wildcards, no empty level, no leading or trailing slash. */
const topicPrefix = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'expected topic levels of letters, digits, _ and - joined by /');

/** Instant commands a broker client may ask for; a name not in the UPS's own list is refused at run time. */
const commandName = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a NUT command name like beeper.mute');

/**
 * `mqtt:` publishes each UPS's state and readings, the policy decision and the plan's status (retained), with Home
 * Assistant MQTT discovery, to one broker. Read-only unless `allow_commands` names instant commands.
 */
export const mqttSchema = z
  .strictObject({
    /** mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://. */
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\/[^\s/]+(\/\S*)?$/, 'expected mqtt://HOST:PORT, mqtts://HOST:PORT, ws:// or wss://'),
    username: z.string().min(1).max(256).optional(),
    /** Give it as password_file (or password_env). */
    password: z.string().min(1).optional(),
    /** CA bundle that signed the broker's certificate (mqtts/wss); without it the system store is used. */
    ca_file: z.string().min(1).optional(),
    /** The broker's client id; two clients with one id throw each other off. Default `upsguard-<host name>`. */
    client_id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . and -')
      .optional(),
    topic_prefix: topicPrefix.default('upsguard'),
    discovery_prefix: topicPrefix.default('homeassistant'),
    /** Home Assistant discovery config messages; off leaves only the state topics. */
    discovery: z.boolean().default(true),
    /** Instant commands accepted on `<prefix>/<ups>/command`, e.g. beeper.mute; none by default (read-only). */
    allow_commands: z.array(commandName).max(32).default([]),
    /** Readings are published at most this often per UPS; state changes go out at once. */
    publish_interval_s: z.number().positive().max(3600).default(10),
    keepalive_s: z.number().int().min(5).max(3600).default(30),
    connect_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    /** Reconnect backoff: doubles from the first to the cap. */
    reconnect_min_ms: z.number().int().min(50).max(600_000).default(1000),
    reconnect_max_ms: z.number().int().min(50).max(3_600_000).default(60_000),
  })
  .superRefine((m, ctx) => {
    if (m.reconnect_max_ms < m.reconnect_min_ms) {
      ctx.addIssue({ code: 'custom', path: ['reconnect_max_ms'], message: 'must be at least reconnect_min_ms' });
    }
    if (m.password !== undefined && m.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
    }
    if (m.topic_prefix === m.discovery_prefix) {
      ctx.addIssue({ code: 'custom', path: ['topic_prefix'], message: 'must differ from discovery_prefix' });
    }
  });

export type MqttConfig = z.output<typeof mqttSchema>;
