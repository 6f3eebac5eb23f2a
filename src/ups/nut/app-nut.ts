import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../util/clock.js';
import { NutServer } from './nut-server.js';
import type { NutServedUps } from './ups-view.js';

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** nut_server.aliases and every UPS's nut_aliases as one alias → UPS map (the config has checked they are unique). */
export function nutAliases(config: Readonly<Config>): Record<string, string> {
  const perUps = config.ups.flatMap((u) => u.nut_aliases.map((a) => [a, u.name] as const));
  return { ...config.nut_server.aliases, ...Object.fromEntries(perUps) };
}

export interface AppNutOptions {
  readonly config: Readonly<Config>;
  readonly ups: readonly NutServedUps[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly baseDir: string;
  /** Told why the server did not start (the port in use, say), for the console's NUT page. */
  readonly onNotStarted?: (reason: string) => void;
}

/**
 * Builds and starts the NUT server from the config. A port that cannot be had is logged and survived: the appliance
 * keeps protecting the cluster; it only stops serving NUT followers (the log says so).
 */
export async function startNutServer(o: AppNutOptions): Promise<NutServer | null> {
  const c = o.config.nut_server;
  if (!c.enabled) return null;
  const log = o.log.child({ part: 'nut-server' });
  let server: NutServer;
  try {
    server = buildServer(o, c, log);
    await server.start();
  } catch (e) {
    log.error({ err: errorMessage(e) }, `NUT server not started: ${errorMessage(e)}`);
    o.onNotStarted?.(errorMessage(e));
    return null;
  }
  const addr = server.address();
  log.info({ host: addr?.host, port: addr?.port, ups: o.ups.map((u) => u.name) }, 'NUT server listening');
  return server;
}

function buildServer(o: AppNutOptions, c: Config['nut_server'], log: Logger): NutServer {
  return new NutServer({
    settings: {
      host: c.host,
      port: c.port,
      maxConnections: c.max_connections,
      maxConnectionsPerAddress: c.max_connections_per_address,
      maxLineLength: c.max_line_length,
      idleTimeoutMs: c.idle_timeout_s * 1000,
      commandTimeoutMs: c.command_timeout_ms,
      handshakeTimeoutMs: c.handshake_timeout_ms,
      loginFailures: c.login_failures,
      loginFailureWindowMs: c.login_failure_window_s * 1000,
      loginBlockMs: (c.login_block_s ?? c.login_delay_max_s) * 1000,
      tlsCertFile: c.tls_cert_file === undefined ? undefined : resolve(o.baseDir, c.tls_cert_file),
      tlsKeyFile: c.tls_key_file === undefined ? undefined : resolve(o.baseDir, c.tls_key_file),
    },
    users: o.config.users.map((u) => ({
      name: u.name,
      password: u.password,
      passwordHash: u.password_hash,
      upsmon: u.upsmon,
      actions: u.actions,
      instcmds: u.instcmds,
    })),
    ups: o.ups,
    aliases: nutAliases(o.config),
    clock: o.clock,
    log,
    version: packageVersion(),
  });
}
