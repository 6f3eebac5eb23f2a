import { z } from 'zod';

/**
 * The NUT parts of the configuration: the upsd-compatible server, NUT roles on users (as upsd.users grants them),
 * and the `nut` UPS source kind. Hooked into schema.ts; defaults live here.
 */

export const NUT_DEFAULT_PORT = 3493;

/** A name a NUT client may ask for: upsd takes letters, digits, `.`, `_` and `-`. */
const nutUpsName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a NUT UPS name such as ups');

/**
 * `ups[].nut_aliases`: second names this UPS answers to over NUT (`[ups]` for Synology DSM and QNAP), beside the
 * server-wide `nut_server.aliases`. Not listed in LIST UPS; logins and FSD count against the UPS itself.
 */
export const nutAliasesField = z.array(nutUpsName).max(16).default([]);

export interface NutNameIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Every name the NUT server answers to must be unique, ignoring case as upsd does: the UPS names, each UPS's
 * nut_aliases and nut_server.aliases. Each clash is named with both of its owners.
 */
export function nutNameIssues(
  ups: readonly { readonly name: string; readonly nut_aliases?: readonly string[] | undefined }[],
  serverAliases: Readonly<Record<string, string>>,
): NutNameIssue[] {
  const owners = new Map<string, { what: string; ups: string }>();
  const issues: NutNameIssue[] = [];
  for (const u of ups) owners.set(u.name.toLowerCase(), { what: `the UPS name ${u.name}`, ups: u.name });
  ups.forEach((u, i) => {
    (u.nut_aliases ?? []).forEach((alias, j) => {
      const clash = owners.get(alias.toLowerCase());
      if (clash) {
        issues.push({
          path: ['ups', i, 'nut_aliases', j],
          message: `NUT alias ${alias} of UPS ${u.name} clashes with ${clash.what}`,
        });
      } else owners.set(alias.toLowerCase(), { what: `the nut_aliases entry ${alias} of UPS ${u.name}`, ups: u.name });
    });
  });
  for (const [alias, target] of Object.entries(serverAliases)) {
    const path = ['nut_server', 'aliases', alias];
    const ownerOfTarget = ups.find((u) => u.name.toLowerCase() === target.toLowerCase());
    // A target that is no UPS is the NUT server's to refuse (it does not start, and says why); the rest still runs.
    if (!ownerOfTarget) continue;
    const clash = owners.get(alias.toLowerCase());
    // An alias that is the target's own name changes nothing, as before; any other second use is a clash.
    if (clash && !(clash.what.startsWith('the UPS name') && clash.ups === ownerOfTarget.name)) {
      issues.push({ path, message: `NUT alias ${alias} (for UPS ${target}) clashes with ${clash.what}` });
    }
  }
  return issues;
}

export const nutServerSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** upsd listens on loopback unless told otherwise. */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(NUT_DEFAULT_PORT),
    max_connections: z.number().int().min(1).max(10_000).default(64),
    /** One address may not hold the whole cap (a stuck follower would lock every other out). */
    max_connections_per_address: z.number().int().min(1).max(10_000).default(8),
    /** Bytes in one request line; a longer one gets ERR and is skipped. */
    max_line_length: z.number().int().min(64).max(65_536).default(1024),
    /** A client that sends no complete line for this long is dropped (upsd: 60 s). */
    idle_timeout_s: z.number().positive().max(86_400).default(60),
    /** Limit on INSTCMD reaching the UPS. */
    command_timeout_ms: z.number().int().positive().default(10_000),
    /** TLS handshake after STARTTLS. */
    handshake_timeout_ms: z.number().int().positive().default(10_000),
    /**
     * Wrong passwords one client address may send at full speed; after that each of its attempts waits first
     * (250 ms, doubling, at most `login_delay_max_s`). A right password is always accepted: no lockout.
     */
    login_failures: z.number().int().min(1).max(1000).default(5),
    /** An address with no failure for this long starts afresh. */
    login_failure_window_s: z.number().positive().default(60),
    /** The cap of that delay; keep it under the clients' own timeouts (upsmon waits about 10 s). */
    login_delay_max_s: z.number().positive().max(60).default(5),
    /** Deprecated (there is no lockout any more): read as `login_delay_max_s` when given. */
    login_block_s: z.number().positive().max(60).optional(),
    /**
     * Second names a UPS answers to over NUT, alias → UPS name (`{ ups: rack }`: Synology DSM and QNAP ask for a UPS
     * called `ups`). Aliases are not in LIST UPS; LOGIN, FSD and NUMLOGINS count against the UPS itself.
     */
    aliases: z.record(nutUpsName, z.string().min(1)).default({}),
    /**
     * Advertise the server over mDNS as `_nut._tcp` (Home Assistant's NUT integration discovers it). Default: on when
     * the server listens beyond loopback, off on loopback (nobody else could connect).
     */
    mdns: z.boolean().optional(),
    /** With both set, STARTTLS upgrades the connection; without, it answers ERR FEATURE-NOT-CONFIGURED. */
    tls_cert_file: z.string().min(1).optional(),
    tls_key_file: z.string().min(1).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.tls_cert_file === undefined) !== (s.tls_key_file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [s.tls_cert_file === undefined ? 'tls_cert_file' : 'tls_key_file'],
        message: 'give both tls_cert_file and tls_key_file, or neither',
      });
    }
  })
  .prefault({});

const instcmdName = z
  .string()
  .regex(/^(ALL|[a-z0-9][a-z0-9._-]{0,63})$/, 'ALL or an instant command such as beeper.mute');

/** Fields merged into each `users` entry: what upsd.users would grant that user over NUT. */
export const nutUserFields = {
  /** `upsmon primary` / `upsmon secondary` (`master` / `slave` accepted, as upsd does). */
  upsmon: z
    .enum(['primary', 'secondary', 'master', 'slave'])
    .transform((v) => (v === 'master' ? 'primary' : v === 'slave' ? 'secondary' : v))
    .optional(),
  actions: z.array(z.enum(['SET', 'FSD', 'set', 'fsd']).transform((v) => v.toUpperCase() as 'SET' | 'FSD')).default([]),
  instcmds: z.array(instcmdName).default([]),
};

const nutUrl = z
  .string()
  .regex(
    /^nut:\/\/([^@/\s]+@)?(\[[0-9A-Fa-f:.]+\]|[^:/@\s]+)(:\d{1,5})?\/[^/\s]+$/,
    'expected nut://USER@HOST:PORT/UPSNAME (user and port optional)',
  );

export const nutSource = z.strictObject({
  kind: z.literal('nut'),
  url: nutUrl,
  /** Give it as password_file (or password_env); needed to LOGIN and for INSTCMD. */
  password: z.string().min(1).optional(),
  /** `try`: upgrade when the server offers TLS, else stay in clear text (upsmon's default); `require`: refuse clear. */
  starttls: z.enum(['off', 'try', 'require']).default('off'),
  /** CA bundle to verify the server's certificate; without it the system store is used. */
  ca_file: z.string().min(1).optional(),
  /** LOGIN to the UPS as upsmon does, so the server's primary waits for upsguard at shutdown. */
  login: z.boolean().default(true),
  poll_interval_s: z.number().positive().max(50).default(2),
  /** Poll period while the UPS is on battery (upsmon's POLLFREQALERT). */
  on_battery_poll_interval_s: z.number().positive().max(50).default(1),
  /** Instant commands upsguard may relay to this UPS (e.g. shutdown.return); none by default. */
  allowed_commands: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)).default([]),
});

/** apcupsd's Network Information Server (apcaccess, Home Assistant's apcupsd integration): off by default. */
export const apcupsdNisSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** apcupsd's NISIP; loopback unless told otherwise. */
    listen: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(3551),
    /** The UPS served (apcupsd serves one per port); default the first configured. */
    ups: z.string().min(1).optional(),
  })
  .prefault({});

export type NutServerConfig = z.output<typeof nutServerSchema>;
export type NutSourceConfig = z.output<typeof nutSource>;
