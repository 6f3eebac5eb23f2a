import { z } from 'zod';
import { UPS_EVENT_TYPES } from '../ups/events.js';
import { parseTemplate } from '../notify/template.js';
import { nameRule } from './names.js';

/**
 * `notify`: the channels a notification goes out on, and how long the queue keeps trying. The old `webhooks:` and
 * `command:` keys still work: each becomes a channel (see notifyChannels).
 */
const name = nameRule();

/** A template checked when the config is read, so `config check` names a bad one. */
const template = z
  .string()
  .max(10_000)
  .superRefine((t, ctx) => {
    const r = parseTemplate(t);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: r.error });
  });

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM, 00:00 to 23:59');

/** What every channel has: its name, which events reach it, and when it keeps quiet. */
const routing = {
  name,
  /** Only these event types; unset: every type. */
  events: z.array(z.enum(UPS_EVENT_TYPES)).min(1).optional(),
  /** Only events at least this severe. */
  min_severity: z.enum(['info', 'warning', 'critical']).default('info'),
  /** Local time; from > to spans midnight. Shutdown-related events are sent anyway. */
  quiet_hours: z.strictObject({ from: hhmm, to: hhmm }).optional(),
  /** Bound on one delivery attempt. */
  timeout_ms: z.number().int().min(10).max(120_000).default(10_000),
};

/** Title and text for services that show a title and a message; templates. */
const titled = {
  title: template.default('{{event.type}} on {{ups}}'),
  text: template.default('{{event.message}}'),
};

const webhookChannel = z.strictObject({
  ...routing,
  kind: z.literal('webhook'),
  url: z.url(),
  method: z.enum(['POST', 'PUT']).default('POST'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.string().max(4096)).default({}),
  /** The body template; unset: the event as JSON (id, at, type, ups, message, severity, message_id). */
  body: template.optional(),
  content_type: z.string().min(1).max(200).default('application/json'),
});

const ntfyChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('ntfy'),
  server: z.url().default('https://ntfy.sh'),
  topic: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an ntfy topic: letters, digits, dash or underscore'),
  /** An access token (Bearer); unset for a public topic. */
  token: z.string().min(1).optional(),
  /** 1 (min) to 5 (max); unset: by severity. */
  priority: z.number().int().min(1).max(5).optional(),
});

const gotifyChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('gotify'),
  server: z.url(),
  /** The application token. */
  token: z.string().min(1),
  /** 0 to 10; unset: by severity. */
  priority: z.number().int().min(0).max(10).optional(),
});

const discordChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('discord'),
  /** The channel's webhook URL (it holds the webhook's token). */
  url: z.url(),
  username: z.string().min(1).max(80).optional(),
});

const slackChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('slack'),
  /** The incoming-webhook URL (it holds the token). */
  url: z.url(),
});

const telegramChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('telegram'),
  /** The bot token from BotFather. */
  token: z.string().min(1),
  chat_id: z.union([z.string().min(1).max(64), z.number().int()]),
  api_url: z.url().default('https://api.telegram.org'),
});

const pushoverChannel = z.strictObject({
  ...routing,
  ...titled,
  kind: z.literal('pushover'),
  /** The application's API token. */
  token: z.string().min(1),
  /** The user (or group) key. */
  user: z.string().min(1),
  /** -2 to 2; unset: by severity (2, emergency, is never chosen by itself: it needs retry/expire). */
  priority: z.number().int().min(-2).max(1).optional(),
  api_url: z.url().default('https://api.pushover.net'),
});

const emailChannel = z.strictObject({
  ...routing,
  kind: z.literal('email'),
  host: z.string().min(1),
  /** Unset: 465 with implicit TLS, 587 with STARTTLS, 25 without. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** `starttls` (required, not opportunistic), `tls` (implicit, smtps) or `none` (a relay on loopback). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** PEM file of a CA to trust besides the system's (a home lab's own CA). */
  ca_file: z.string().min(1).optional(),
  from: z.email(),
  to: z.array(z.email()).min(1),
  subject: template.default('[upsguard] {{event.type}} on {{ups}}'),
  /** Plain text. */
  text: template.default('{{event.message}}\n\nEvent: {{event.type}} ({{event.severity}})\nUPS: {{ups}}\nAt: {{at}}\n'),
});

/** A topic we publish to: levels of letters, digits, _ and -; no wildcard, no empty level (as `mqtt:` checks). */
const mqttTopic = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'expected topic levels of letters, digits, _ and - joined by /');

/**
 * Each notification as JSON on a topic, QoS 1, not retained; delivered when the broker's PUBACK came. Without `url`
 * the `mqtt:` section's broker, credentials, CA, prefixes and client id are used (one broker, configured once).
 */
const mqttChannel = z
  .strictObject({
    ...routing,
    kind: z.literal('mqtt'),
    /** mqtt://host:1883, mqtts://host:8883, ws:// or wss://; unset: the `mqtt:` section's broker. */
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\/[^\s/]+(\/\S*)?$/, 'expected mqtt://HOST:PORT, mqtts://HOST:PORT, ws:// or wss://')
      .optional(),
    username: z.string().min(1).max(256).optional(),
    /** Give it as password_file (or password_env). */
    password: z.string().min(1).optional(),
    ca_file: z.string().min(1).optional(),
    /** Unset: `<mqtt client id or upsguard-<host>>-notify-<channel name>`, so it never throws the state client off. */
    client_id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, 'expected letters, digits, _ . and -')
      .optional(),
    /** Unset: `<mqtt topic_prefix, or upsguard>/events`. */
    topic: mqttTopic.optional(),
    /** A Home Assistant `event` entity for these notifications; unset: as the `mqtt:` section's `discovery` (on). */
    discovery: z.boolean().optional(),
    /** Unset: the `mqtt:` section's, or homeassistant. */
    discovery_prefix: mqttTopic.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.url === undefined && (m.username !== undefined || m.password !== undefined || m.ca_file !== undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['url'],
        message: 'username, password and ca_file go with url; without url those of the mqtt: section are used',
      });
    if (m.password !== undefined && m.username === undefined)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'a password needs a username' });
  });

const commandChannel = z.strictObject({
  ...routing,
  kind: z.literal('command'),
  path: z.string().min(1),
  args: z.array(z.string()).default([]),
  timeout_ms: z.number().int().min(10).max(600_000).default(10_000),
});

export const channelSchema = z.discriminatedUnion('kind', [
  webhookChannel,
  ntfyChannel,
  gotifyChannel,
  discordChannel,
  slackChannel,
  telegramChannel,
  pushoverChannel,
  emailChannel,
  mqttChannel,
  commandChannel,
]);

export const notifySchema = z
  .strictObject({
    /** Old form: each is a webhook channel `webhook-N` sending the event as JSON. `retries` is ignored: the queue retries. */
    webhooks: z
      .array(
        z.strictObject({
          url: z.url(),
          timeout_ms: z.number().int().min(10).max(120_000).default(5000),
          retries: z.number().int().min(0).max(20).default(3),
          retry_base_ms: z.number().int().min(1).default(1000),
        }),
      )
      .default([]),
    /** Old form: the NOTIFYCMD-style command, as the channel `command`. */
    command: z
      .strictObject({
        path: z.string().min(1),
        args: z.array(z.string()).default([]),
        timeout_ms: z.number().int().min(10).max(600_000).default(10_000),
      })
      .optional(),
    channels: z.array(channelSchema).default([]),
    /** A message not delivered within this long is dropped, with a NOTIFY_EXPIRED event. */
    expire_after_s: z
      .number()
      .int()
      .min(60)
      .max(90 * 86_400)
      .default(3 * 86_400),
    /** The first retry waits about this long; each next one twice as long, with jitter. */
    retry_base_s: z.number().min(0.01).max(3600).default(5),
    /** The longest wait between two attempts: how long after the network returns a message may still wait. */
    retry_max_s: z.number().min(0.01).max(86_400).default(120),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    for (const [i, c] of notifyChannels(cfg).entries()) {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: i < cfg.channels.length ? ['channels', i, 'name'] : ['channels'],
          message: `channel name ${c.name} is used twice (webhooks: are named webhook-1…, command: is named command)`,
        });
      seen.add(c.name);
    }
    if (cfg.retry_max_s < cfg.retry_base_s)
      ctx.addIssue({ code: 'custom', path: ['retry_max_s'], message: 'must be at least retry_base_s' });
  })
  .prefault({});

export type NotifyConfig = z.output<typeof notifySchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
export type ChannelKind = ChannelConfig['kind'];

/** Every channel, the old `webhooks:` and `command:` included, in config order (`channels:` first). */
export function notifyChannels(cfg: Pick<NotifyConfig, 'channels' | 'webhooks' | 'command'>): readonly ChannelConfig[] {
  const out: ChannelConfig[] = [...cfg.channels];
  cfg.webhooks.forEach((w, i) => {
    out.push({
      name: `webhook-${i + 1}`,
      kind: 'webhook',
      url: w.url,
      method: 'POST',
      headers: {},
      content_type: 'application/json',
      min_severity: 'info',
      timeout_ms: w.timeout_ms,
    });
  });
  if (cfg.command) out.push({ name: 'command', kind: 'command', min_severity: 'info', ...cfg.command });
  return out;
}
