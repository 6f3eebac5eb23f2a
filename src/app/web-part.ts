import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../web/deps.js';
import { buildServer, type WebServerOptions } from '../web/server.js';
import type { Part } from './part.js';

/** The page and the API. Built at start; listening is the App's call, so tests can `inject` instead. */
export class WebPart implements Part {
  readonly name = 'web';
  private server: FastifyInstance | null = null;

  constructor(
    private readonly deps: () => WebDeps,
    private readonly options: Partial<WebServerOptions> = {},
  ) {}

  start(): void {
    this.server ??= buildServer(this.deps(), this.options);
  }

  current(): FastifyInstance | null {
    return this.server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    // Open streams and keep-alive sockets are closed by the server's own close hooks; this bounds nothing itself.
    await s?.close();
  }
}
