export interface LoginThrottleOptions {
  /** Failures allowed before delays start. */
  readonly freeFailures: number;
  /** The first delay; each further failure doubles it. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A key with no failure for this long is forgotten. */
  readonly forgetAfterMs: number;
  /** Keys tracked at once per kind; past it the stalest is dropped, so a flood of names cannot grow memory. */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  freeFailures: 3,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 10_000,
};

interface Failures {
  count: number;
  lastAt: number;
}

/**
 * Growing delays after failed logins, per address and per user (after 3 failures: 1 s, 2 s, 4 s… capped at 30 s).
 * The two mean different things: an address inside its penalty is refused before its password is looked at; a user's
 * delay only slows the answer to a *failed* attempt for that user, so someone guessing a user's password from
 * elsewhere never locks that user out.
 */
export class LoginThrottle {
  private readonly byAddress = new Map<string, Failures>();
  private readonly byUser = new Map<string, Failures>();

  constructor(
    private readonly now: () => number,
    private readonly o: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE,
  ) {}

  /** Milliseconds this address must still wait before its next attempt is looked at; 0 when it may try now. */
  addressWaitMs(address: string): number {
    const f = this.current(this.byAddress, address);
    if (!f) return 0;
    return Math.max(0, f.lastAt + this.delayFor(f.count) - this.now());
  }

  /** How long to hold the answer to a failed attempt for this user (its failures so far, this one included). */
  userDelayMs(user: string): number {
    const f = this.current(this.byUser, user);
    return f ? this.delayFor(f.count) : 0;
  }

  failed(address: string, user: string): void {
    this.bump(this.byAddress, address);
    this.bump(this.byUser, user);
  }

  /** A correct login clears its address; the user's count stays (other addresses may still be guessing). */
  succeeded(address: string): void {
    this.byAddress.delete(address);
  }

  private delayFor(count: number): number {
    const over = count - this.o.freeFailures;
    if (over < 0) return 0;
    return Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(over, 30));
  }

  private current(map: Map<string, Failures>, key: string): Failures | null {
    const f = map.get(key);
    if (!f) return null;
    if (this.now() - f.lastAt >= this.o.forgetAfterMs) {
      map.delete(key);
      return null;
    }
    return f;
  }

  private bump(map: Map<string, Failures>, key: string): void {
    const f = this.current(map, key) ?? { count: 0, lastAt: 0 };
    f.count++;
    f.lastAt = this.now();
    // Re-inserted so the map's order is staleness order: the first key is the one to drop.
    map.delete(key);
    map.set(key, f);
    if (map.size > this.o.maxKeys) {
      const stalest = map.keys().next().value;
      if (stalest !== undefined) map.delete(stalest);
    }
  }
}
