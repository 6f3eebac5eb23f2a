import { ErrorCode, UpsguardError } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

/**
 * Every wait on I/O has a limit: a hung USB or network call must surface as an error the caller can act on. The
 * limit runs on `clock` (injected where time decides something, so tests can run it under a manual clock).
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  clock: Clock = systemClock,
  code: ErrorCode = ErrorCode.TransportTimeout,
): Promise<T> {
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      reject(new UpsguardError(code, `${what} timed out after ${ms} ms`, { timeoutMs: ms }));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer) clock.clearTimeout(timer);
  });
}

/** Capped exponential backoff with full jitter; `random` is injectable so tests are exact. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits for `promise` to settle, or `ms` at most (a stop that must not hang on a peer); never rejects. */
export async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
