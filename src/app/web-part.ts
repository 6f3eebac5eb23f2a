import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../web/deps.js';
import { buildServer, type WebServerOptions } from '../web/server.js';
import { isLoopbackHost, type WebCertificate } from '../web/tls/web-certificate.js';
import type { Part } from './part.js';

/** How long requests still being answered at stop may take before their connections are cut. */
const CLOSE_GRACE_MS = 1000;

/** Which certificate to serve when listening on the configured host, or another one (null: plain HTTP). */
export interface WebTransport {
  readonly host: string;
  readonly certificateFor: (host: string) => Promise<WebCertificate | null>;
}

/** The server's limits, and how HTTPS is chosen (without a transport: plain HTTP, as tests that inject want). */
export interface WebPartOptions extends Partial<WebServerOptions> {
  readonly transport?: WebTransport;
}

/** The page and the API. Built at start; listening is the App's call, so tests can `inject` instead. */
export class WebPart implements Part {
  readonly name = 'web';
  private server: FastifyInstance | null = null;
  private certificate: WebCertificate | null = null;

  constructor(
    private readonly deps: () => WebDeps,
    private readonly options: WebPartOptions = {},
  ) {}

  // HTTPS is chosen when the server is built (Fastify takes it at construction), from the configured host.
  async start(): Promise<void> {
    if (this.server) return;
    const t = this.options.transport;
    this.certificate = t ? await t.certificateFor(t.host) : null;
    this.server = this.build();
  }

  /** The certificate served, or null over plain HTTP. */
  served(): WebCertificate | null {
    return this.certificate;
  }

  /**
   * Listens on host:port and returns the page's address. A server built for plain HTTP (a loopback host in the
   * config) is rebuilt with a certificate first when told to listen off loopback: plain HTTP never leaves the host.
   */
  async listen(host: string, port: number): Promise<string> {
    if (!this.server) throw new Error('start() first');
    const t = this.options.transport;
    if (t && this.certificate === null && !isLoopbackHost(host)) {
      const certificate = await t.certificateFor(host);
      if (certificate) {
        await this.server.close();
        this.certificate = certificate;
        this.server = this.build();
      }
    }
    const server = this.server;
    await server.listen({ host, port });
    const addr = server.server.address();
    const actualPort = typeof addr === 'object' && addr ? addr.port : port;
    const scheme = this.certificate ? 'https' : 'http';
    return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
  }

  private build(): FastifyInstance {
    const { transport: _transport, ...server } = this.options;
    const c = this.certificate;
    return buildServer(this.deps(), c ? { ...server, https: { key: c.key, cert: c.cert } } : server);
  }

  current(): FastifyInstance | null {
    return this.server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    // Streams and idle keep-alive sockets are closed by the server's own close hooks. A socket that never sent a
    // request (a browser's preconnect, a port scan) counts as neither and would hold close() until the part's stop
    // budget ran out: in-flight requests get a moment to finish, then every connection left is cut.
    const closing = s.close();
    const cut = setTimeout(() => s.server.closeAllConnections(), CLOSE_GRACE_MS);
    cut.unref();
    try {
      await closing;
    } finally {
      clearTimeout(cut);
    }
  }
}
