/**
 * STARTTLS for the NUT protocol, both ends. The one NUT file that touches node:tls (DESIGN.md keeps TLS at the
 * edges; NUT's in-band upgrade cannot live in a HID transport).
 */
import type { Socket } from 'node:net';
import { TLSSocket, connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';

export function serverContext(cert: Buffer, key: Buffer): SecureContext {
  return createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
}

function settle<T extends TLSSocket>(sock: T, event: 'secure' | 'secureConnect', ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new UpsguardError(ErrorCode.TransportTimeout, `${what} timed out after ${ms} ms`, { timeoutMs: ms }));
    }, ms);
    timer.unref();
    sock.once(event, () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new UpsguardError(ErrorCode.TransportIo, `${what} failed: ${errorMessage(e)}`));
    });
  });
}

/** Server side: the client sent STARTTLS and got `OK STARTTLS`; the handshake follows on the same socket. */
export function upgradeServer(socket: Socket, context: SecureContext, timeoutMs: number): Promise<TLSSocket> {
  const tls = new TLSSocket(socket, { isServer: true, secureContext: context });
  return settle(tls, 'secure', timeoutMs, 'NUT TLS handshake');
}

export interface ClientTlsOptions {
  readonly servername: string;
  readonly ca?: Buffer | undefined;
  readonly timeoutMs: number;
}

/** Client side, after the server answered `OK STARTTLS`. The certificate is verified (a CA file may be given). */
export function upgradeClient(socket: Socket, opts: ClientTlsOptions): Promise<TLSSocket> {
  const isIp = /^[\d.]+$|:/.test(opts.servername);
  // `host` is what the certificate is checked against (IP SANs included); SNI only for names.
  const tls = tlsConnect({
    socket,
    host: opts.servername,
    ...(isIp ? {} : { servername: opts.servername }),
    ...(opts.ca ? { ca: opts.ca } : {}),
    minVersion: 'TLSv1.2',
  });
  return settle(tls, 'secureConnect', opts.timeoutMs, 'NUT TLS handshake');
}
