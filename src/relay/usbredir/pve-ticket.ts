import https from 'node:https';
import tls from 'node:tls';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { PveCaller } from '../../shutdown/drivers/proxmox/restore.js';
import { peerText, redactSecrets } from '../../util/redact.js';

/**
 * A Proxmox API session as root@pam with a password ticket (POST /access/ticket), for the one thing an API token
 * cannot do: set a VM's `args`. qemu-server lets `root@pam` itself and nobody else set it, and a token acts as
 * `root@pam!ID`, so even root's own token is refused. The ticket goes in the PVEAuthCookie, writes carry the
 * CSRFPreventionToken, as the web UI does. The certificate is pinned before the password is sent, as the driver does.
 */
export interface PveTicketOptions {
  readonly baseUrl: string;
  /** root@pam: the only user qemu-server lets set `args`. */
  readonly username: string;
  readonly password: string;
  readonly fingerprintSha256?: string;
  readonly ca?: string;
  readonly insecure: boolean;
  readonly timeoutMs: number;
}

const normalize = (fp: string): string => fp.replace(/[^0-9a-f]/gi, '').toUpperCase();

function pinned(host: string, port: number, o: PveTicketOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: host, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new UpsguardError(ErrorCode.DriverTimeout, `connecting to ${host}:${port} timed out`));
    }, o.timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const presented = socket.getPeerCertificate().fingerprint256 as string | undefined;
      if (normalize(presented ?? '') !== normalize(o.fingerprintSha256 ?? '')) {
        socket.destroy();
        reject(
          new UpsguardError(
            ErrorCode.DriverCertificate,
            `certificate of ${host} does not match the pinned fingerprint (it presented ${presented ?? 'none'})`,
          ),
        );
      } else resolve(socket);
    });
    socket.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(new UpsguardError(ErrorCode.DriverUnreachable, `${host}:${port} unreachable: ${err.message}`));
    });
  });
}

async function request<T>(
  o: PveTicketOptions,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  params: Record<string, string | number>,
  headers: Record<string, string>,
  secrets: readonly string[],
): Promise<T> {
  const url = new URL(`/api2/json${path}`, o.baseUrl);
  const form = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  if (method === 'GET' && form) url.search = form;
  const host = url.hostname;
  const port = Number(url.port || 8006);
  const socket = o.fingerprintSha256 !== undefined ? await pinned(host, port, o) : undefined;
  return new Promise<T>((resolve, reject) => {
    const req = https.request(
      {
        method,
        host,
        port,
        path: url.pathname + url.search,
        headers: {
          accept: 'application/json',
          ...headers,
          ...(method !== 'GET' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(socket ? { createConnection: () => socket } : { ca: o.ca, rejectUnauthorized: !o.insecure }),
        timeout: o.timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const said = peerText(`${res.statusMessage ?? ''} ${body}`.trim(), secrets);
          if (status === 401)
            reject(new UpsguardError(ErrorCode.DriverAuth, `${method} ${path}: authentication failed (${said})`));
          else if (status < 200 || status >= 300)
            reject(new UpsguardError(ErrorCode.DriverFailure, `${method} ${path} answered ${status}: ${said}`));
          else {
            try {
              resolve((JSON.parse(body) as { data: T }).data);
            } catch {
              reject(new UpsguardError(ErrorCode.DriverFailure, `${method} ${path}: the answer is not JSON`));
            }
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${o.timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(
        err instanceof UpsguardError
          ? err
          : new UpsguardError(ErrorCode.DriverUnreachable, `${host}:${port}: ${redactSecrets(err.message, secrets)}`),
      ),
    );
    if (method !== 'GET' && form) req.write(form);
    req.end();
  });
}

/** Logs in once and returns a caller that uses the ticket (valid two hours on PVE: enough for one command). */
export async function pveTicketCaller(o: PveTicketOptions): Promise<PveCaller> {
  const login = await request<{ ticket: string; CSRFPreventionToken: string }>(
    o,
    'POST',
    '/access/ticket',
    { username: o.username, password: o.password },
    {},
    [o.password],
  );
  const secrets = [o.password, login.ticket, login.CSRFPreventionToken];
  return <T>(method: 'GET' | 'POST' | 'PUT', path: string, params: Record<string, string | number> = {}) =>
    request<T>(
      o,
      method,
      path,
      params,
      {
        cookie: `PVEAuthCookie=${encodeURIComponent(login.ticket)}`,
        ...(method === 'GET' ? {} : { csrfpreventiontoken: login.CSRFPreventionToken }),
      },
      secrets,
    );
}
