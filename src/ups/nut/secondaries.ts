import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Listeners } from '../../util/listeners.js';
import type { NutLogin, NutLogout, NutServerEvents } from './nut-server.js';

/** What the wait needs from the NUT server (NutServer fits). */
export interface NutLoginsView {
  readonly events: Listeners<NutServerEvents>;
  numLogins(ups: string): number;
  clients(ups: string): NutLogin[];
}

export interface SecondariesWaitOptions {
  /** Give up after this long (upsmon's HOSTSYNC; 15 s by default there). */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Logins not to wait for, e.g. upsguard's own primary connection (upsmon waits for NUMLOGINS <= 1). */
  readonly ignore?: (login: NutLogin) => boolean;
  readonly signal?: AbortSignal;
  /** Each logout as it happens, for the run's journal. */
  readonly onLogout?: (logout: NutLogout) => void;
}

export interface SecondariesWaitResult {
  /** `all-logged-out`: nobody left; `timeout`: HOSTSYNC passed first; `aborted`: the run was aborted. */
  readonly outcome: 'all-logged-out' | 'timeout' | 'aborted';
  /** Who logged out (or whose connection dropped) during the wait, in order, with when. */
  readonly loggedOut: readonly NutLogout[];
  /** Who was still logged in at the end. */
  readonly remaining: readonly NutLogin[];
  readonly waitedMs: number;
}

/**
 * The `nut-secondaries` step: after FSD is set on a UPS, wait until every NUT client LOGINed to it has gone (each
 * secondary's upsmon ran its SHUTDOWNCMD), or until the timeout, as upsmon's primary does with HOSTSYNC. A dropped
 * connection means "upsmon ran SHUTDOWNCMD", not "the host is off".
 */
export function waitForSecondaries(
  server: NutLoginsView,
  ups: string,
  opts: SecondariesWaitOptions,
): Promise<SecondariesWaitResult> {
  const started = opts.clock.now();
  const waiting = (): NutLogin[] => server.clients(ups).filter((l) => !(opts.ignore?.(l) ?? false));
  const loggedOut: NutLogout[] = [];
  return new Promise((resolve) => {
    let timer: TimerHandle | null = null;
    let done = false;
    const finish = (outcome: SecondariesWaitResult['outcome']): void => {
      if (done) return;
      done = true;
      off();
      if (timer) opts.clock.clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ outcome, loggedOut, remaining: waiting(), waitedMs: opts.clock.now() - started });
    };
    const onAbort = (): void => {
      finish('aborted');
    };
    const off = server.events.on('logout', (l) => {
      if (l.ups !== ups || (opts.ignore?.(l) ?? false)) return;
      loggedOut.push(l);
      opts.onLogout?.(l);
      if (waiting().length === 0) finish('all-logged-out');
    });
    if (opts.signal?.aborted) {
      finish('aborted');
      return;
    }
    opts.signal?.addEventListener('abort', onAbort);
    if (waiting().length === 0) {
      finish('all-logged-out');
      return;
    }
    timer = opts.clock.setTimeout(() => {
      finish('timeout');
    }, opts.timeoutMs);
  });
}
