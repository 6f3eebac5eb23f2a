import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { startNutServer } from '../ups/nut/app-nut.js';
import type { NutServer } from '../ups/nut/nut-server.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { Clock } from '../util/clock.js';
import type { Part } from './part.js';

/** The NUT server for followers (NAS boxes, Home Assistant, upsmon secondaries); absent when disabled or its port is taken. */
export class NutPart implements Part {
  readonly name = 'nut-server';
  private server: NutServer | null = null;
  private notStarted: string | null = null;

  constructor(
    private readonly o: {
      config: Readonly<Config>;
      ups: () => readonly UpsHandle[];
      clock: Clock;
      log: Logger;
      baseDir: string;
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
      },
    });
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
    const s = this.server;
    this.server = null;
    await s?.stop();
  }
}
