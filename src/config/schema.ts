import { z } from 'zod';
import { nameRule } from './names.js';
import { notifySchema } from './notify-schema.js';
import { policySchema, scheduleSchema, shutdownSchema } from './shutdown-schema.js';
import {
  apcupsdNisSchema,
  nutAliasesField,
  nutNameIssues,
  nutServerSchema,
  nutSource,
  nutUserFields,
} from './nut-schema.js';
import { relayAgentSchema, relaySource } from './relay-schema.js';
import { restoreSchema } from './restore-schema.js';
import { WEB_ROLES } from '../web/access.js';
import { LOOPBACK_NETWORKS, cidrProblem } from '../integrations/metrics/networks.js';
import { mqttSchema } from './mqtt-schema.js';
import { passwordHashProblem } from '../web/auth/password-hash.js';
import { LOG_FORMATS } from '../log.js';

/**
 * The one configuration schema. Keys are snake_case as users write them in YAML; defaults live here and nowhere else.
 * Objects are strict so a misspelt key is an error that names it, not a setting silently ignored.
 */
/**
 * A USB vendor or product id, always hex as lsusb prints it: `0764`, `1234` (hex 0x1234) or `0x051d`. The loader
 * hands these keys over as the text written in the file (an unquoted `0764` is never the YAML integer 764); a number
 * that reaches here anyway (an alias, a config built in code) is refused rather than guessed at.
 */
const hex16 = z
  .unknown()
  .superRefine((v, ctx) => {
    if (typeof v !== 'string') ctx.addIssue({ code: 'custom', message: 'write USB IDs in quotes, e.g. "0764"' });
    else if (!/^(0x)?[0-9a-fA-F]{1,4}$/i.test(v)) {
      ctx.addIssue({ code: 'custom', message: 'expected a 16-bit hex id such as 051d' });
    }
  })
  .transform((v) => parseInt(String(v).replace(/^0x/i, ''), 16));

const name = nameRule(32);

const simSource = z.strictObject({
  kind: z.literal('sim'),
  /** A recorded device by name (see `upsguard sim devices`). */
  device: z.string().default('apc-back-ups-cs-500'),
  /** A built-in scenario name (demo-loop, steady) or the path of a scenario file. */
  scenario: z.string().default('steady'),
  time_scale: z.number().positive().max(10_000).default(1),
});

const usbSource = z.strictObject({
  kind: z.literal('usb'),
  vendor_id: hex16.optional(),
  product_id: hex16.optional(),
  serial: z.string().min(1).optional(),
  /** USB port path (1-1.4) or hidraw node (/dev/hidraw0). */
  path: z.string().min(1).optional(),
});

const upsEntry = z
  .strictObject({
    name,
    description: z.string().max(200).optional(),
    source: z.discriminatedUnion('kind', [simSource, usbSource, nutSource, relaySource]),
    /** ups.delay.shutdown: seconds the UPS waits before cutting its output after the load-off command. */
    off_delay_s: z.number().int().min(0).max(86_400).optional(),
    /** ups.delay.start: seconds the UPS waits, with mains back, before powering its output again. */
    on_delay_s: z.number().int().min(0).max(86_400).optional(),
    /** Second names this UPS answers to over NUT (`[ups]` for Synology); see nut-schema.ts. */
    nut_aliases: nutAliasesField,
  })
  .superRefine((u, ctx) => {
    if (u.off_delay_s !== undefined && u.on_delay_s !== undefined && u.off_delay_s >= u.on_delay_s) {
      ctx.addIssue({
        code: 'custom',
        path: ['on_delay_s'],
        message: `must be longer than off_delay_s (${u.off_delay_s}) so the UPS restarts after it has cut the load`,
      });
    }
    if (u.source.kind === 'relay' && !u.source.insecure && u.source.psk === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'psk_file'],
        message: 'a relay needs its key (psk_file or psk_env)',
      });
    }
  });

/**
 * A user of the web console (with a `role`), of the NUT server (with `upsmon`, actions or instcmds), or both: the two
 * roles are separate. The password is given once, as a scrypt hash (`upsguard user add` writes one) or in plain
 * (`password_file`/`password_env`), which is hashed in memory at start.
 */
const user = z
  .strictObject({
    name,
    // NUT clients ship fixed short passwords (Synology's monuser/secret), so no minimum length beyond one character.
    password: z
      .string()
      .min(1, 'must not be empty')
      .max(128, 'at most 128 characters')
      .refine((p) => !Array.from({ length: p.length }, (_, i) => p.charCodeAt(i)).some((c) => c < 0x20 || c === 0x7f), {
        message: 'must not contain control characters',
      })
      .optional(),
    password_hash: z
      .string()
      .superRefine((h, ctx) => {
        const problem = passwordHashProblem(h);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: `${problem} (write it with upsguard user add)` });
      })
      .optional(),
    /** The web console role; without it the user has no web login. */
    role: z.enum(WEB_ROLES).optional(),
    ...nutUserFields,
  })
  .superRefine((u, ctx) => {
    if ((u.password === undefined) === (u.password_hash === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message:
          u.password === undefined
            ? 'give a password_hash (upsguard user add) or a password_file'
            : 'give password or password_hash, not both',
      });
    }
  });

/** The shape itself; configSchema adds the checks that span sections. */
const configObject = z.strictObject({
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      /** `text`: one readable line per event (the journal); `json`: pino's lines; `auto`: text under systemd or a TTY. */
      format: z.enum(LOG_FORMATS).default('auto'),
    })
    .prefault({}),
  /** SIGTERM: every part is stopped within this, clients connected or not; then the process exits. */
  stop_timeout_s: z.number().positive().max(120).default(5),
  web: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8080),
      /** Every phase of a request is bounded: one slow or stalled client must not hold descriptors. */
      request_timeout_ms: z.number().int().min(100).default(10_000),
      headers_timeout_ms: z.number().int().min(100).default(10_000),
      keep_alive_timeout_ms: z.number().int().min(100).default(5000),
      connection_timeout_ms: z.number().int().min(100).default(60_000),
      max_connections_per_address: z.number().int().min(1).max(10_000).default(64),
      max_connections: z.number().int().min(1).max(10_000).default(256),
      body_limit_bytes: z.number().int().min(1024).default(262_144),
      /** A live-stream reader whose unsent data passes this, or whose socket stays full this long, is dropped. */
      stream_max_unsent_bytes: z.number().int().min(4096).default(262_144),
      stream_stall_ms: z.number().int().min(100).default(30_000),
      max_streams: z.number().int().min(1).default(32),
      max_streams_per_address: z.number().int().min(1).default(8),
      /** A login session unused this long ends; one older than session_max_s ends however busy it is. */
      session_idle_s: z.number().int().min(60).max(86_400).default(1800),
      session_max_s: z.number().int().min(60).max(2_592_000).default(43_200),
      /** Host names the console is served under besides localhost, the listen address and this machine's name. */
      server_names: z.array(z.string().min(1).max(253)).max(64).default([]),
      /** State-changing calls one session or token may make per minute. */
      action_rate_per_min: z.number().int().min(1).max(10_000).default(30),
      /** The overview (status, decision, live stream) without login; nothing else. */
      public_status: z.boolean().default(false),
      /** Who may scrape GET /metrics without an API token: CIDRs (loopback by default). */
      metrics_networks: z
        .array(
          z.string().superRefine((n, ctx) => {
            const problem = cidrProblem(n);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
        )
        .max(64)
        .default([...LOOPBACK_NETWORKS]),
      /** A certificate and key for HTTPS; without them a self-signed pair is made when the host is not loopback. */
      tls_cert_file: z.string().min(1).optional(),
      tls_key_file: z.string().min(1).optional(),
      /** Where the self-signed pair is kept (default: the store's directory, or data/ when the store is :memory:). */
      tls_dir: z.string().min(1).optional(),
    })
    .superRefine((w, ctx) => {
      if ((w.tls_cert_file === undefined) !== (w.tls_key_file === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [w.tls_cert_file === undefined ? 'tls_cert_file' : 'tls_key_file'],
          message: 'give both tls_cert_file and tls_key_file, or neither',
        });
      }
    })
    .prefault({}),
  store: z
    .strictObject({
      /** SQLite file; `:memory:` keeps nothing across restarts. */
      path: z.string().default('data/upsguard.db'),
      /** While the store cannot be written (full disk…), history is kept in memory and the file retried this often. */
      retry_s: z.number().positive().max(3600).default(60),
      raw_retention_hours: z.number().positive().default(48),
      minute_retention_days: z.number().positive().default(90),
      hour_retention_days: z
        .number()
        .positive()
        .default(5 * 365),
    })
    .prefault({}),
  monitor: z
    .strictObject({
      full_interval_s: z.number().positive().default(30),
      quick_interval_s: z.number().positive().default(2),
      io_timeout_ms: z.number().int().positive().default(3000),
      reconnect_base_ms: z.number().int().positive().default(1000),
      reconnect_max_ms: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  ups: z
    .array(upsEntry)
    .min(1, 'configure at least one UPS')
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((u, i) => {
        if (seen.has(u.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate UPS name ${u.name}` });
        seen.add(u.name);
      });
    }),
  users: z
    .array(user)
    .default([])
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((u, i) => {
        if (seen.has(u.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate user name ${u.name}` });
        seen.add(u.name);
      });
    }),
  nut_server: nutServerSchema,
  apcupsd_nis: apcupsdNisSchema,
  relay: relayAgentSchema,
  policy: policySchema,
  shutdown: shutdownSchema,
  notify: notifySchema,
  schedule: scheduleSchema,
  restore: restoreSchema,
  /** MQTT and Home Assistant discovery; absent: no broker is contacted. */
  mqtt: mqttSchema.optional(),
});

/** NUT names are checked across `ups` and `nut_server`: each name a client may ask for means one UPS. */
export const configSchema = configObject.superRefine((c, ctx) => {
  for (const issue of nutNameIssues(c.ups, c.nut_server.aliases)) ctx.addIssue({ code: 'custom', ...issue });
  // An mqtt channel without its own broker borrows the mqtt: section's; with neither it could never send.
  c.notify.channels.forEach((ch, i) => {
    if (ch.kind === 'mqtt' && ch.url === undefined && c.mqtt === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['notify', 'channels', i, 'url'],
        message: 'an mqtt channel needs url, or an mqtt: section whose broker it uses',
      });
  });
});
export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type UpsConfig = Config['ups'][number];
export type SimSourceConfig = z.output<typeof simSource>;
export type UsbSourceConfig = z.output<typeof usbSource>;
