import type { Config } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { NewUpsEvent } from '../ups/events.js';
import { startNutServer } from '../ups/nut/app-nut.js';
import { NutMdnsAdvertiser, mdnsWanted, type MdnsState } from '../ups/nut/mdns-advertiser.js';
import type { NutServer } from '../ups/nut/nut-server.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { Clock } from '../util/clock.js';
import type { Part } from './part.js';

/** The NUT server for followers (NAS boxes, Home Assistant, upsmon secondaries); absent when disabled or its port is taken. */
export class NutPart implements Part {
  readonly name = 'nut-server';
  private server: NutServer | null = null;
  private notStarted: string | null = null;
  private mdns: NutMdnsAdvertiser | null = null;

  constructor(
    private readonly o: {
      config: Readonly<Config>;
      ups: () => readonly UpsHandle[];
      clock: Clock;
      log: Logger;
      baseDir: string;
      /** A server that cannot start (the port is taken, say) is an error event, not only a log line. */
      recordEvent?: (e: NewUpsEvent) => unknown;
    },
  ) {}

  async start(): Promise<void> {
    if (this.server) return;
    this.server = await startNutServer({
      config: this.o.config,
      ups: this.o.ups(),
      clock: this.o.clock,
      log: this.o.log,
      baseDir: this.o.baseDir,
      onNotStarted: (reason) => {
        this.notStarted = reason;
        try {
          this.o.recordEvent?.({
            at: this.o.clock.now(),
            type: 'NUT_SERVER_FAILED',
            ups: '',
            message: `NUT server not started, NUT followers are not served: ${reason}`.slice(0, 2000),
          });
        } catch (err) {
          this.o.log.error({ part: this.name, err: errorMessage(err) }, 'cannot record the NUT server event');
        }
      },
    });
    const c = this.o.config.nut_server;
    const addr = this.server?.address();
    if (addr && mdnsWanted(c.host, c.mdns)) {
      this.mdns = new NutMdnsAdvertiser({ host: c.host, port: addr.port, log: this.o.log.child({ part: 'nut-mdns' }) });
      await this.mdns.start();
    }
  }

  /** The _nut._tcp advertisement: off on loopback (or when configured off), else advertising or why it failed. */
  mdnsState(): MdnsState {
    if (this.mdns) return this.mdns.state();
    const c = this.o.config.nut_server;
    if (!this.server) return { state: 'off', reason: 'the NUT server is not running' };
    return {
      state: 'off',
      reason: c.mdns === false ? 'nut_server.mdns is false' : 'the NUT server listens on loopback',
    };
  }

  /** Why the server is not running: null while it runs, "disabled" when configured off, else the start failure. */
  whyNotRunning(): string | null {
    if (this.server) return null;
    if (!this.o.config.nut_server.enabled) return 'disabled';
    return this.notStarted ?? 'not started';
  }

  current(): NutServer | null {
    return this.server;
  }

  async stop(): Promise<void> {
    const m = this.mdns;
    this.mdns = null;
    await m?.stop();
    const s = this.server;
    this.server = null;
    await s?.stop();
  }
}
