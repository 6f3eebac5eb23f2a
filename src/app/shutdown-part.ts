import { runProgressToLive } from './shutdown-facade.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { ShutdownService } from '../shutdown/service.js';
import type { NewUpsEvent } from '../ups/events.js';
import type { NutServer } from '../ups/nut/nut-server.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { WatchedSource } from '../shutdown/watched-sources.js';
import type { Clock } from '../util/clock.js';
import type { Listeners } from '../util/listeners.js';
import type { LiveEvents } from '../web/deps.js';
import type { Part } from './part.js';
import type { StorePart } from './store-part.js';

export interface ShutdownPartOptions {
  readonly config: Readonly<Config>;
  /** The config in force (policy and plan edited on the page); else `config`. */
  readonly current?: () => Readonly<Config>;
  readonly store: StorePart;
  readonly ups: () => readonly UpsHandle[];
  readonly sources: () => readonly WatchedSource[];
  readonly live: Listeners<LiveEvents>;
  readonly recordEvent: (e: NewUpsEvent) => void;
  readonly nut: () => NutServer | null;
  readonly clock: Clock;
  readonly log: Logger;
  readonly baseDir: string;
}

/** Policy, plan and runner, fed every snapshot; the simulated cluster's hosts follow their UPS's output. */
export class ShutdownPart implements Part {
  readonly name = 'shutdown';
  private service: ShutdownService | null = null;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly o: ShutdownPartOptions) {}

  current(): ShutdownService | null {
    return this.service;
  }

  async start(): Promise<void> {
    if (this.service) return;
    const o = this.o;
    const service = new ShutdownService({
      config: o.config,
      ...(o.current ? { current: o.current } : {}),
      journal: o.store.runs,
      simPersistence: o.store.simPersistence,
      clock: o.clock,
      log: o.log.child({ part: 'shutdown' }),
      sources: o.sources(),
      recordEvent: o.recordEvent,
      setFsd: (ups) => o.nut()?.setForcedShutdown(ups),
      clearFsd: (ups) => o.nut()?.clearForcedShutdown(ups),
      nutServer: o.nut,
      baseDir: o.baseDir,
    });
    this.service = service;
    this.unsubscribe.push(
      o.live.on('snapshot', (s) => {
        service.onSnapshot(s);
      }),
    );
    for (const h of o.ups()) {
      const sim = h.simulated;
      if (sim) this.unsubscribe.push(sim.events.on('state', (st) => service.cluster?.setFeed(h.name, st.outputOn)));
    }
    // Each run's progress reaches the page as it happens (SSE `run`, `step`, `restore`); its throttle timer goes
    // with the part, so nothing reads the store after stop.
    this.unsubscribe.push(runProgressToLive(service, o.live));
    await service.start();
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.service?.stop();
    this.service = null;
  }
}
