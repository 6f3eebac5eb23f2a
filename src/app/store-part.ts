import type { Logger } from '../log.js';
import type { Db } from '../store/database.js';
import { EventsStore } from '../store/events.js';
import type { FailoverDb, StoreHealth } from '../store/failover-db.js';
import { openStore } from '../store/open-store.js';
import { ReadingsStore } from '../store/readings.js';
import { RunsStore, simClusterPersistence } from '../store/shutdown-runs.js';
import type { SimClusterPersistence } from '../shutdown/sim-cluster.js';
import type { Clock } from '../util/clock.js';
import type { Part } from './part.js';

export interface StorePartOptions {
  readonly path: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retryMs: number;
  /** Told when history stops or starts reaching the disk again. */
  readonly onHealth: (health: StoreHealth) => void;
}

interface Opened {
  readonly failover: FailoverDb;
  readonly readings: ReadingsStore;
  readonly events: EventsStore;
  readonly runs: RunsStore;
  readonly simPersistence: SimClusterPersistence;
}

/** The store: history, events and the run journal. It never stops the appliance: see FailoverDb. */
export class StorePart implements Part {
  readonly name = 'store';
  private opened: Opened | null = null;

  constructor(private readonly o: StorePartOptions) {}

  start(): void {
    if (this.opened) return;
    const failover = openStore({
      path: this.o.path,
      clock: this.o.clock,
      log: this.o.log,
      retryMs: this.o.retryMs,
      onHealth: this.o.onHealth,
    });
    const db: Db = failover.db;
    this.opened = {
      failover,
      readings: new ReadingsStore(db),
      events: new EventsStore(db),
      runs: new RunsStore(db),
      simPersistence: simClusterPersistence(db),
    };
  }

  stop(): void {
    this.opened?.failover.close();
    this.opened = null;
  }

  private get open(): Opened {
    if (!this.opened) throw new Error('the store is not started');
    return this.opened;
  }

  get readings(): ReadingsStore {
    return this.open.readings;
  }

  get events(): EventsStore {
    return this.open.events;
  }

  /** The store's one connection (failing over to memory like the rest), for tables that have no part of their own. */
  get db(): Db {
    return this.open.failover.db;
  }

  get runs(): RunsStore {
    return this.open.runs;
  }

  get simPersistence(): SimClusterPersistence {
    return this.open.simPersistence;
  }

  health(): StoreHealth {
    return this.open.failover.status();
  }
}
