import { ErrorCode } from '../errors.js';
import { withTimeout } from '../util/timeout.js';
import type { Clock } from '../util/clock.js';

/** A counting semaphore: at most `limit` holders, the rest wait in order. */
export class Limiter {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.held >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `held` only drops when nobody waits.
      if (next) next();
      else this.held--;
    };
  }
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, Math.max(0, ms)));
}

/** Bounds one driver call by the injected clock (the one timeout helper, with the driver's error code). */
export function withClockTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, what: string): Promise<T> {
  return withTimeout(promise, ms, what, clock, ErrorCode.DriverTimeout);
}
