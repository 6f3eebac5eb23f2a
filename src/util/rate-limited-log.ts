import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from './clock.js';

export interface RateLimitedLogOptions {
  readonly log: Logger;
  readonly clock: Clock;
  /** Lines one key may write per window; the rest are counted. */
  readonly maxPerWindow: number;
  readonly windowMs: number;
  /** Keys tracked at once; past this, new keys share one bucket, so many sources cannot grow memory. */
  readonly maxKeys?: number;
}

type Level = 'warn' | 'info';

interface Bucket {
  written: number;
  suppressed: number;
  readonly level: Level;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
  readonly timer: TimerHandle;
}

const OVERFLOW_KEY = '\u0000other sources';

/**
 * A log that a flood cannot fill: per source key (a client address, say), at most `maxPerWindow` lines per window,
 * then one "suppressed K similar warnings" line when the window ends. Nothing is lost silently.
 */
export class RateLimitedLog {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitedLogOptions) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    this.write('warn', key, fields, msg);
  }

  info(key: string, fields: Record<string, unknown>, msg: string): void {
    this.write('info', key, fields, msg);
  }

  /** Writes the pending summaries now and forgets every window (on stop). */
  flush(): void {
    for (const [key, b] of [...this.buckets]) {
      this.options.clock.clearTimeout(b.timer);
      this.end(key);
    }
  }

  private write(level: Level, key: string, fields: Record<string, unknown>, msg: string): void {
    const o = this.options;
    const k = this.buckets.has(key) || this.buckets.size < (o.maxKeys ?? 1000) ? key : OVERFLOW_KEY;
    let b = this.buckets.get(k);
    if (!b) {
      b = {
        written: 0,
        suppressed: 0,
        level,
        msg,
        fields: k === OVERFLOW_KEY ? {} : fields,
        timer: o.clock.setTimeout(() => {
          this.end(k);
        }, o.windowMs),
      };
      this.buckets.set(k, b);
    }
    if (b.written < o.maxPerWindow) {
      b.written++;
      o.log[level](fields, msg);
    } else b.suppressed++;
  }

  private end(key: string): void {
    const b = this.buckets.get(key);
    if (!b) return;
    this.buckets.delete(key);
    if (b.suppressed === 0) return;
    const what = b.level === 'warn' ? 'warnings' : 'messages';
    this.options.log[b.level](
      { ...b.fields, suppressed: b.suppressed, windowMs: this.options.windowMs },
      `suppressed ${String(b.suppressed)} similar ${what} (${b.msg})`,
    );
  }
}
