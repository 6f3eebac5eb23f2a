import https from 'node:https';
import tls from 'node:tls';
import { ErrorCode, UpsguardError } from '../../../errors.js';
import { peerText, redactSecrets } from '../../../util/redact.js';

/** Where a node is and how its certificate is checked: shared by the API-token driver and the ticket client. */
export interface PveConnection {
  /** https://HOST:8006 */
  readonly baseUrl: string;
  /** SHA-256 fingerprint of the node's certificate (AA:BB:… or hex), the usual way with PVE's self-signed certificates. */
  readonly fingerprintSha256?: string;
  /** PEM CA bundle, when the nodes have certificates from a CA. */
  readonly ca?: string;
  /** Neither: accept any certificate (logged as a warning by the driver). */
  readonly insecure: boolean;
  readonly timeoutMs: number;
}

export interface PveHttpOptions extends PveConnection {
  /** `USER@REALM!TOKENID`, and its secret. */
  readonly tokenId: string;
  readonly token: string;
}

/** How a request proves who it is: its headers, the secrets they hold (kept out of every error), what a 401 means. */
export interface PveAuth {
  headers(method: PveMethod): Record<string, string>;
  readonly secrets: readonly string[];
  /** The 401 message's reason: "API token rejected", "user or password rejected"… */
  readonly rejected: string;
}

export type PveMethod = 'GET' | 'POST' | 'PUT';

function tokenAuth(o: PveHttpOptions): PveAuth {
  return {
    headers: () => ({ authorization: `PVEAPIToken=${o.tokenId}=${o.token}` }),
    secrets: [o.token],
    rejected: 'API token rejected',
  };
}

export class PveError extends UpsguardError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(code, message, status === undefined ? {} : { status });
  }
}

const normalize = (fp: string): string => fp.replace(/[^0-9a-f]/gi, '').toUpperCase();

/**
 * Verifies a pinned certificate before anything is written: the API token goes only to the node we pinned. One
 * connection per request: a shutdown sends a few dozen, and there is nothing to gain from keep-alive there.
 */
function pinnedSocket(
  host: string,
  port: number,
  o: PveConnection,
  secrets: readonly string[],
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: host, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new PveError(ErrorCode.DriverTimeout, `connecting to ${host}:${port} timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      // Read it once, before anything can destroy the socket (a destroyed socket has no peer certificate).
      const presented = socket.getPeerCertificate().fingerprint256 as string | undefined;
      if (o.fingerprintSha256 !== undefined && normalize(presented ?? '') !== normalize(o.fingerprintSha256)) {
        socket.destroy();
        reject(
          new PveError(
            ErrorCode.DriverCertificate,
            `certificate of ${host} does not match the pinned fingerprint (it presented ${presented ?? 'none'})`,
          ),
        );
        return;
      }
      resolve(socket);
    });
    socket.once('error', (err: Error & { code?: string }) => {
      clearTimeout(timer);
      reject(
        new PveError(
          ErrorCode.DriverUnreachable,
          `${host}:${port} unreachable: ${err.code === 'ECONNREFUSED' ? 'connection refused' : redactSecrets(err.message, secrets)}`,
        ),
      );
    });
  });
}

/**
 * A node's error answer as a typed error. The body is the peer's text: the token is removed from it (a proxy or a
 * debug build may echo the Authorization header) and it is cut to a bounded length.
 */
function errorFor(status: number, path: string, body: string, auth: PveAuth): PveError {
  const detail = peerText(body, auth.secrets);
  if (status === 401)
    return new PveError(ErrorCode.DriverAuth, `authentication failed (${auth.rejected}) on ${path}`, status);
  if (status === 403)
    return new PveError(ErrorCode.DriverPermission, `permission denied on ${path}: ${detail}`, status);
  if (status === 404 || /does not exist|no such/i.test(body)) {
    return new PveError(ErrorCode.DriverNotFound, `not found: ${path}: ${detail}`, status);
  }
  return new PveError(ErrorCode.DriverFailure, `${path} answered ${status}: ${detail}`, status);
}

/** One call as the driver makes it, with its API token. */
export function pveRequest<T>(
  o: PveHttpOptions,
  method: PveMethod,
  path: string,
  params: Record<string, string | number> = {},
): Promise<T> {
  return pveCall<T>(o, tokenAuth(o), method, path, params);
}

/** The thin HTTP layer: one call, JSON `{data}` out, typed errors, the auth's secrets in none of them. */
export async function pveCall<T>(
  o: PveConnection,
  auth: PveAuth,
  method: PveMethod,
  path: string,
  params: Record<string, string | number> = {},
): Promise<T> {
  const url = new URL(`/api2/json${path}`, o.baseUrl);
  const form = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  if (method === 'GET' && form) url.search = form;
  const host = url.hostname;
  const port = Number(url.port || 8006);
  const pinned = o.fingerprintSha256 !== undefined ? await pinnedSocket(host, port, o, auth.secrets) : undefined;
  return new Promise<T>((resolve, reject) => {
    const req = https.request(
      {
        method,
        host,
        port,
        path: url.pathname + url.search,
        headers: {
          ...auth.headers(method),
          accept: 'application/json',
          ...(method !== 'GET' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(pinned ? { createConnection: () => pinned } : { ca: o.ca, rejectUnauthorized: !o.insecure }),
        timeout: o.timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(errorFor(status, `${method} ${path}`, body, auth));
            return;
          }
          try {
            resolve((JSON.parse(body) as { data: T }).data);
          } catch {
            reject(new PveError(ErrorCode.DriverFailure, `${method} ${path}: the answer is not JSON`));
          }
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new PveError(ErrorCode.DriverTimeout, `${method} ${path} timed out after ${o.timeoutMs} ms`));
    });
    req.on('error', (err: Error & { code?: string }) => {
      const why = redactSecrets(err.message, auth.secrets);
      if (err instanceof PveError) reject(err);
      else if (/certificate|self.signed|UNABLE_TO_VERIFY/i.test(`${err.code ?? ''} ${err.message}`)) {
        reject(new PveError(ErrorCode.DriverCertificate, `certificate of ${host} not trusted: ${why}`));
      } else reject(new PveError(ErrorCode.DriverUnreachable, `${host}:${port} unreachable: ${why}`));
    });
    if (method !== 'GET' && form) req.write(form);
    req.end();
  });
}
