/**
 * State-changing calls per session or token: at most `perMinute` in any one-minute window (a fixed window per key,
 * which is enough to stop a runaway script or a stuck button). Keys are bounded like every per-caller table.
 */
export class ActionRateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Counts one call; returns 0 when allowed, else the seconds until the key may call again. */
  take(key: string): number {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= 60_000) {
      this.windows.delete(key);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > this.maxKeys) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
    }
    if (w.count >= this.perMinute) return Math.max(1, Math.ceil((w.start + 60_000 - now) / 1000));
    w.count++;
    return 0;
  }
}
