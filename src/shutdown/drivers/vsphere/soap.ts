import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { ErrorCode, UpsguardError } from '../../../errors.js';
import { peerText, redactSecrets } from '../../../util/redact.js';
import { child, descendant, escapeXml, parseXml, xsiType, type XmlElement } from './xml.js';

/** How the endpoint's certificate is trusted: a pinned SHA-256 thumbprint, a CA bundle, or not at all (explicit). */
export type TlsTrust =
  | { readonly kind: 'thumbprint'; readonly sha256: string }
  | { readonly kind: 'ca'; readonly ca: string }
  | { readonly kind: 'insecure' };

export interface SoapTransportOptions {
  /** `https://host[:port]/sdk` */
  readonly url: string;
  readonly trust: TlsTrust;
  readonly requestTimeoutMs: number;
  /** The vim25 release in SOAPAction; vim25 servers accept older releases. */
  readonly apiVersion?: string;
  /** Secrets this endpoint is sent (the Login password): removed from every error text, a fault's included. */
  readonly secrets?: readonly string[];
}

/** A vim25 fault: its type (`InvalidLogin`, `NotAuthenticated`, …) and the server's text (as quoted: bounded). */
export class SoapFault extends Error {
  constructor(
    readonly faultType: string,
    readonly faultString: string,
  ) {
    super(`${faultType}: ${faultString}`);
  }
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"' +
  ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="urn:vim25"><soapenv:Body>';
const ENVELOPE_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/** A moref as vim25 writes it: `<tag type="VirtualMachine">vm-57</tag>`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export const moref = (tag: string, r: MoRef): string =>
  `<${tag} type="${escapeXml(r.type)}">${escapeXml(r.value)}</${tag}>`;

export const normalizeThumbprint = (t: string): string => t.replace(/[^0-9a-fA-F]/g, '').toUpperCase();

/**
 * An https.Agent that checks the pinned thumbprint right after the TLS handshake and before the socket is handed
 * to the request, so not one byte of a request (the Login password) reaches a server with another certificate.
 */
class PinnedAgent extends https.Agent {
  constructor(private readonly sha256: string) {
    super({ keepAlive: true, maxSockets: 8 });
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): undefined {
    // Node's agent passes a callback and accepts the socket through it later (after our check).
    const cb = callback ?? (() => undefined);
    // Chain validation is replaced by the pin, not added to it: ESXi's certificates are self-signed by default.
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), rejectUnauthorized: false });
    const onError = (err: Error): void => cb(err, socket);
    socket.once('error', onError);
    socket.once('secureConnect', () => {
      socket.off('error', onError);
      const got = normalizeThumbprint(socket.getPeerCertificate().fingerprint256);
      if (got === this.sha256) {
        cb(null, socket);
        return;
      }
      socket.destroy();
      cb(
        new UpsguardError(
          ErrorCode.DriverCertificate,
          `the server's certificate does not match the pinned thumbprint (it presents SHA-256 ${got})`,
          { presented: got },
        ),
        socket,
      );
    });
    return undefined;
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);
const CERT_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/;

/** One vim25 endpoint: posts envelopes, keeps the session cookie, turns transport failures into typed errors. */
export class SoapTransport {
  private readonly agent: https.Agent;
  private readonly url: URL;
  private readonly secrets: readonly string[];
  private cookie: string | undefined;
  /** SOAP calls made, for the benchmark's calls-per-target figure. */
  calls = 0;

  constructor(private readonly opts: SoapTransportOptions) {
    this.url = new URL(opts.url);
    this.secrets = opts.secrets ?? [];
    const t = opts.trust;
    this.agent =
      t.kind === 'thumbprint'
        ? new PinnedAgent(normalizeThumbprint(t.sha256))
        : new https.Agent({
            keepAlive: true,
            maxSockets: 8,
            ...(t.kind === 'ca' ? { ca: t.ca } : { rejectUnauthorized: false }),
          });
  }

  get hasSession(): boolean {
    return this.cookie !== undefined;
  }

  dropSession(): void {
    this.cookie = undefined;
  }

  close(): void {
    this.agent.destroy();
  }

  /** Posts one method call; resolves with the `<…Response>` element, rejects with SoapFault or a typed error. */
  async call(method: string, inner: string): Promise<XmlElement> {
    this.calls++;
    const { status, body, setCookie } = await this.post(
      `${ENVELOPE_OPEN}<${method}>${inner}</${method}>${ENVELOPE_CLOSE}`,
    );
    const session = setCookie?.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith('vmware_soap_session='));
    if (session) this.cookie = session;
    let doc: XmlElement;
    try {
      doc = parseXml(body);
    } catch (err) {
      throw new UpsguardError(
        ErrorCode.DriverFailure,
        `vSphere answered ${method} with HTTP ${status} and no readable SOAP (${peerText((err as Error).message, this.secrets)})`,
      );
    }
    const soapBody = child(doc, 'Body');
    const fault = child(soapBody, 'Fault');
    if (fault) {
      const detail = child(fault, 'detail')?.children[0];
      const type = detail ? (xsiType(detail) ?? detail.name.replace(/Fault$/, '')) : 'SoapFault';
      // The server's own words: a fault may echo the request (the Login password), so they are redacted and cut.
      throw new SoapFault(type, peerText(child(fault, 'faultstring')?.text ?? '', this.secrets));
    }
    const res = soapBody?.children[0];
    if (!res) throw new UpsguardError(ErrorCode.DriverFailure, `vSphere answered ${method} with HTTP ${status}, empty`);
    return res;
  }

  private post(payload: string): Promise<{ status: number; body: string; setCookie: string[] | undefined }> {
    const where = this.url.host;
    const secrets = this.secrets;
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          agent: this.agent,
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port || 443,
          path: this.url.pathname,
          method: 'POST',
          headers: {
            'Content-Type': 'text/xml; charset=utf-8',
            SOAPAction: `"urn:vim25/${this.opts.apiVersion ?? '6.5'}"`,
            'Content-Length': Buffer.byteLength(payload),
            ...(this.cookie ? { Cookie: this.cookie } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              setCookie: res.headers['set-cookie'],
            });
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new UpsguardError(
            ErrorCode.DriverTimeout,
            `vSphere at ${where} did not answer within ${this.opts.requestTimeoutMs} ms`,
          ),
        );
      }, this.opts.requestTimeoutMs);
      function fail(err: Error): void {
        clearTimeout(timer);
        reject(typedError(err, where, secrets));
      }
      req.on('error', fail);
      req.end(payload);
    });
  }
}

function typedError(err: Error, where: string, secrets: readonly string[]): Error {
  if (err instanceof UpsguardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNREACHABLE.has(code)) {
    return new UpsguardError(ErrorCode.DriverUnreachable, `vSphere at ${where} is unreachable (${code})`);
  }
  if (CERT_CODES.test(code)) {
    return new UpsguardError(
      ErrorCode.DriverCertificate,
      `vSphere at ${where}: the certificate is not trusted by the configured CA (${code})`,
    );
  }
  return new UpsguardError(ErrorCode.DriverFailure, `vSphere at ${where}: ${redactSecrets(err.message, secrets)}`);
}

/** The text of a descendant element, or undefined. */
export const textOf = (el: XmlElement | undefined, name: string): string | undefined => descendant(el, name)?.text;
