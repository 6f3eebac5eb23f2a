import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP receiver on loopback: records every request, answers 200 unless told otherwise, and can go down (every
 * connection is cut the moment it is accepted, as when the network is down; the port is kept, so no other process
 * can take it before up()) and come back.
 */
export class HttpReceiver {
  readonly received: Received[] = [];
  /** Status to answer with; a function sees the request first. */
  answer: number | ((r: Received, res: ServerResponse) => number | null) = 200;
  private server: Server | null = null;
  private cutting = false;
  private port = 0;

  async start(): Promise<string> {
    await this.listen();
    return this.base();
  }

  base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Cuts every connection until up(). */
  down(): Promise<void> {
    this.cutting = true;
    this.server?.closeAllConnections();
    return Promise.resolve();
  }

  up(): Promise<void> {
    this.cutting = false;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  bodies(): unknown[] {
    return this.received.map((r) => JSON.parse(r.body) as unknown);
  }

  private listen(): Promise<void> {
    const s = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const r: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
        this.received.push(r);
        const status = typeof this.answer === 'number' ? this.answer : this.answer(r, res);
        if (status === null) return; // the handler answers (or hangs) itself
        res.statusCode = status;
        res.end('{"ok":true}');
      });
    });
    s.on('connection', (socket) => {
      if (this.cutting) socket.destroy();
    });
    this.server = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(this.port, '127.0.0.1', () => {
        this.port = (s.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}
