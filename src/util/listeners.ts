/**
 * A small typed event hub. A listener that throws is reported to `onListenerError` and never reaches the emitter:
 * one broken consumer (a web client, a notifier) must not stop the monitor that feeds the shutdown decision.
 */
export type EventMap = Record<string, unknown[]>;

export class Listeners<E extends EventMap> {
  private readonly map = new Map<keyof E, Set<(...args: never[]) => void>>();

  constructor(private readonly onListenerError: (event: string, err: unknown) => void = () => undefined) {}

  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    let set = this.map.get(event);
    if (!set) {
      set = new Set();
      this.map.set(event, set);
    }
    set.add(fn as unknown as (...args: never[]) => void);
    return () => this.off(event, fn);
  }

  off<K extends keyof E>(event: K, fn: (...args: E[K]) => void): void {
    this.map.get(event)?.delete(fn as unknown as (...args: never[]) => void);
  }

  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.map.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as unknown as (...a: E[K]) => void)(...args);
      } catch (err) {
        this.onListenerError(String(event), err);
      }
    }
  }

  count(event: keyof E): number {
    return this.map.get(event)?.size ?? 0;
  }
}
