import net from 'node:net';

/**
 * A TCP proxy that stands in for the network during a live migration: it can cut every connection at once and
 * refuse new ones for a while, as a VM's move between hosts does to its TCP peers.
 */
export class FlakyProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<[net.Socket, net.Socket]>();
  port = 0;
  drops = 0;

  constructor(private readonly upstreamPort: number) {}

  async start(port = 0): Promise<number> {
    const server = net.createServer((client) => {
      const upstream = net.connect({ host: '127.0.0.1', port: this.upstreamPort });
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  liveConnections(): number {
    return this.pairs.size;
  }

  /** Cuts every connection and refuses new ones for `ms`. */
  async outage(ms: number): Promise<void> {
    const server = this.server;
    this.server = null;
    await new Promise<void>((r) => {
      if (!server) {
        r();
        return;
      }
      server.close(() => r());
      for (const [a, b] of this.pairs) {
        a.destroy();
        b.destroy();
      }
      this.pairs.clear();
      this.drops++;
    });
    await new Promise((r) => setTimeout(r, ms));
    await this.start(this.port);
  }

  async stop(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
