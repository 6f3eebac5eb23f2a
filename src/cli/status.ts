import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { loadSectionFile } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { RestoreApiView } from '../web/api-types/restore.js';
import type { DecisionResponse } from '../web/api-types/decision.js';
import type { PlanPageView } from '../web/api-types/plan.js';
import type { RunsListView } from '../web/api-types/runs.js';
import type { StatusResponse } from '../web/api-types/status.js';
import { isLoopbackHost } from '../web/tls/loopback.js';
import { parseOptions } from './args.js';
import { STATUS_TOKEN_FILE, SYSTEM_STATUS_TOKEN } from './status-token-path.js';
import { operatorConfigPath } from './operator-config.js';
import { statusReport, type ServiceReadout } from './status-report.js';

export { SYSTEM_STATUS_TOKEN } from './status-token-path.js';
const EXIT_OK = 0;
const EXIT_ATTENTION = 1;
const EXIT_UNREACHABLE = 2;

export interface StatusEnv {
  readonly env?: NodeJS.ProcessEnv;
  readonly systemConfig?: string;
  readonly systemToken?: string;
}

/** The service's address from its config: an unspecified listen address is reached on loopback. */
export function serviceUrl(configPath: string | null): string {
  const web =
    configPath === null ? configSchema.shape.web.parse({}) : loadSectionFile(configPath, 'web', configSchema.shape.web);
  const listen = web.host.replace(/^\[(.*)\]$/, '$1');
  const host = listen === '0.0.0.0' || listen === '' ? '127.0.0.1' : listen === '::' ? '::1' : listen;
  // HTTPS is decided by the address the service listens on (off loopback it serves HTTPS), not the one dialled.
  const https = web.tls_cert_file !== undefined || !isLoopbackHost(listen);
  return `${https ? 'https' : 'http'}://${isIP(host) === 6 ? `[${host}]` : host}:${web.port}`;
}

/**
 * The token: --token-file, else UPSGUARD_TOKEN, else the status.token `upsguard setup` wrote next to the config in
 * use, else the package's.
 */
function tokenOf(option: string | true | undefined, configPath: string | null, o: StatusEnv): string | null {
  const env = o.env ?? process.env;
  const file = typeof option === 'string' ? option : null;
  if (file !== null) return readToken(file);
  if (env.UPSGUARD_TOKEN) return env.UPSGUARD_TOKEN.trim();
  const candidates =
    o.systemToken !== undefined
      ? [o.systemToken]
      : [...(configPath === null ? [] : [join(dirname(configPath), STATUS_TOKEN_FILE)]), SYSTEM_STATUS_TOKEN];
  const found = candidates.find((f) => existsSync(f));
  return found === undefined ? null : readToken(found);
}

function readToken(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UpsguardError(ErrorCode.CliUsage, `cannot read the token file ${file}: ${errorMessage(err)}`);
  }
  const token = text.trim();
  if (token === '') throw new UpsguardError(ErrorCode.CliUsage, `the token file ${file} is empty`);
  return token;
}

class Unreachable extends UpsguardError {
  constructor(message: string) {
    super(ErrorCode.ServiceUnreachable, message);
  }
}

/**
 * GET a JSON answer, bounded by `timeoutMs`; null for a 404 (a part the service does not serve). Loopback HTTPS is
 * the service's own self-signed certificate, so it is not verified there; any other address is.
 */
function getJson<T>(base: string, path: string, token: string | null, timeoutMs: number): Promise<T | null> {
  const url = new URL(path, base);
  const secure = url.protocol === 'https:';
  const client = secure ? https : http;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = client.get(
      url,
      { headers, timeout: timeoutMs, ...(secure ? { rejectUnauthorized: !isLoopbackHost(url.hostname) } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 8 * 1024 * 1024) req.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 404) {
            resolve(null);
            return;
          }
          if (status === 401 || status === 403) {
            reject(
              new Unreachable(
                token === null
                  ? `${url.origin} needs an API token: give --token-file FILE (a token with the read scope, made on the page under Admin > Tokens) or UPSGUARD_TOKEN`
                  : `${url.origin} refused the API token (${status}): it is unknown, revoked or lacks the read scope`,
              ),
            );
            return;
          }
          if (status !== 200) {
            reject(new Unreachable(`${url.origin}${path} answered ${status}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
          } catch {
            reject(new Unreachable(`${url.origin}${path} did not answer JSON: is this upsguard?`));
          }
        });
        res.on('error', (e) => reject(new Unreachable(`${url.origin}: ${errorMessage(e)}`)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Unreachable(`cannot reach upsguard at ${url.origin}: ${errorMessage(e)}`)));
  });
}

async function readService(url: string, token: string | null, timeoutMs: number): Promise<ServiceReadout> {
  const status = await getJson<StatusResponse>(url, '/api/status', token, timeoutMs);
  if (status === null) throw new Unreachable(`${url} has no /api/status: is this upsguard?`);
  const [decision, plan, runs, restore] = await Promise.all([
    getJson<DecisionResponse>(url, '/api/decision', token, timeoutMs),
    getJson<PlanPageView>(url, '/api/plan', token, timeoutMs),
    getJson<RunsListView>(url, '/api/runs?limit=5', token, timeoutMs),
    getJson<RestoreApiView>(url, '/api/restore', token, timeoutMs),
  ]);
  return { url, status, decision, plan, runs, restore };
}

/**
 * `upsguard status [--url URL] [--token-file FILE] [--config FILE] [--json] [--timeout-ms N]`: the running service
 * on one screen. Exit 0: all is well; 1: something needs attention; 2: the service cannot be reached (or refused).
 */
export async function runStatus(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  o: StatusEnv = {},
): Promise<number> {
  const { options, positional } = parseOptions(args, {
    values: ['url', 'token-file', 'config', 'timeout-ms'],
    flags: ['json'],
  });
  if (positional.length > 0) throw new UpsguardError(ErrorCode.CliUsage, `unexpected argument ${positional[0] ?? ''}`);
  const timeoutMs = typeof options['timeout-ms'] === 'string' ? Number(options['timeout-ms']) : 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) {
    throw new UpsguardError(ErrorCode.CliUsage, '--timeout-ms is a whole number of milliseconds from 100 to 120000');
  }
  const configPath = operatorConfigPath(options.config, o.env ?? process.env, o.systemConfig);
  const url = typeof options.url === 'string' ? options.url.replace(/\/+$/, '') : serviceUrl(configPath);
  if (!/^https?:\/\/[^/]+$/.test(url))
    throw new UpsguardError(ErrorCode.CliUsage, `--url ${url}: expected http(s)://HOST:PORT`);
  const token = tokenOf(options['token-file'], configPath, o);
  let readout: ServiceReadout;
  try {
    readout = await readService(url, token, timeoutMs);
  } catch (e) {
    const message = e instanceof Unreachable ? e.message : `cannot read upsguard at ${url}: ${errorMessage(e)}`;
    if (options.json === true) out(JSON.stringify({ reachable: false, url, error: message }));
    else err(`upsguard: ${message}`);
    return EXIT_UNREACHABLE;
  }
  const report = statusReport(readout);
  if (options.json === true) {
    out(JSON.stringify({ reachable: true, attention: report.attention, ...readout }, null, 2));
  } else for (const line of report.lines) out(line);
  return report.attention.length === 0 ? EXIT_OK : EXIT_ATTENTION;
}
