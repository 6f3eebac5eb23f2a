import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** A long-lived piece of the appliance. Its constructor builds nothing; start builds and starts; stop undoes it. */
export interface Part {
  readonly name: string;
  start(): Promise<void> | void;
  /** Idempotent; removes the part's own listeners; bounded in time by the caller. */
  stop(): Promise<void> | void;
}

/**
 * The started parts, in order. Stop goes in reverse; each part's stop is isolated (its failure is logged by name and
 * the others still stop) and bounded: one that overruns its share of the time is left behind, named in the log.
 */
export class PartList {
  private readonly started: Part[] = [];

  constructor(private readonly log: Logger) {}

  async start<P extends Part>(part: P): Promise<P> {
    await part.start();
    this.started.push(part);
    this.log.debug({ part: part.name }, 'part started');
    return part;
  }

  /** A started part restarted as a new object (a reload's new settings): it takes the old one's place in the order. */
  replace(old: Part, next: Part): void {
    const i = this.started.indexOf(old);
    if (i < 0) throw new Error(`part ${old.name} is not running`);
    this.started[i] = next;
  }

  names(): readonly string[] {
    return this.started.map((p) => p.name);
  }

  /** Stops every started part in reverse order within `budgetMs` in all; resolves true when all stopped in time. */
  async stopAll(budgetMs: number): Promise<boolean> {
    const deadline = Date.now() + budgetMs;
    let clean = true;
    while (this.started.length > 0) {
      const part = this.started.pop()!;
      const left = Math.max(50, deadline - Date.now());
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => part.stop())
          .then(
            () => 'ok' as const,
            (err: unknown) => {
              this.log.error({ part: part.name, err: errorMessage(err) }, 'stop failed');
              return 'failed' as const;
            },
          ),
        new Promise<'late'>((r) => {
          timer = setTimeout(() => r('late'), left);
        }),
      ]);
      clearTimeout(timer);
      if (outcome === 'late') this.log.error({ part: part.name, afterMs: left }, 'stop overran its time: left behind');
      if (outcome !== 'ok') clean = false;
    }
    return clean;
  }
}
