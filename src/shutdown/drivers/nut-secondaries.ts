import type { NutLogin, NutLogout, NutServerEvents } from '../../ups/nut/nut-server.js';
import type { Listeners } from '../../util/listeners.js';
import type { CheckResult, PowerState, ShutdownDriver, Target } from './driver.js';
import type { Clock } from '../../util/clock.js';

/** What the driver needs of the NUT server (NutServer fits). */
export interface NutSecondariesServer {
  readonly events: Listeners<NutServerEvents>;
  setForcedShutdown(ups: string, by?: string): void;
  clients(ups: string): NutLogin[];
  logouts(ups: string, since?: number): NutLogout[];
}

export const NUT_SECONDARIES_DRIVER = 'nut-secondaries';

const TARGET_PREFIX = 'secondaries-of-';

const hhmmss = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * `nut-secondaries`: the NUT clients (NAS boxes, other hosts running upsmon) that follow a UPS through upsguard's NUT
 * server, one target per UPS, named `secondaries-of-UPS`. Its graceful shutdown raises FSD on that UPS, so every
 * secondary's upsmon runs its SHUTDOWNCMD and logs out; the target reads as off once no client is logged in, as
 * upsmon's primary waits on NUMLOGINS. The phase's timeout plays HOSTSYNC. Nobody can power a secondary off from
 * here, so the hard power-off fails with the names of those still logged in, and the run goes on.
 */
export class NutSecondariesDriver implements ShutdownDriver {
  readonly name = NUT_SECONDARIES_DRIVER;
  private readonly waitingSince = new Map<string, number>();

  constructor(
    private readonly server: () => NutSecondariesServer | null,
    private readonly upsNames: readonly string[],
    private readonly clock: Clock,
  ) {}

  private now(): number {
    return this.clock.now();
  }

  private upsOf(t: Target): string {
    return t.name.slice(TARGET_PREFIX.length);
  }

  private need(): NutSecondariesServer {
    const s = this.server();
    if (!s) throw new Error('the NUT server is not running (nut_server.enabled, or its port was taken)');
    return s;
  }

  discover(): Promise<Target[]> {
    return Promise.resolve(
      this.upsNames.map((ups) => ({
        driver: this.name,
        name: `${TARGET_PREFIX}${ups}`,
        kind: 'host' as const,
        tags: ['nut', `ups:${ups}`],
        macs: [],
      })),
    );
  }

  check(): Promise<CheckResult[]> {
    const s = this.server();
    if (!s) return Promise.resolve([{ ok: false, message: 'the NUT server is not running' }]);
    return Promise.resolve(
      this.upsNames.map((ups) => {
        const c = s.clients(ups);
        return {
          target: `${TARGET_PREFIX}${ups}`,
          ok: true,
          message:
            c.length === 0
              ? 'no NUT client follows this UPS now'
              : `following: ${c.map((l) => `${l.user}@${l.address}`).join(', ')}`,
        };
      }),
    );
  }

  powerState(t: Target): Promise<PowerState> {
    try {
      const s = this.need();
      const ups = this.upsOf(t);
      if (s.clients(ups).length === 0) return Promise.resolve('off');
      return Promise.resolve(this.waitingSince.has(ups) ? 'stopping' : 'on');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  shutdown(t: Target): Promise<void> {
    try {
      const ups = this.upsOf(t);
      this.need().setForcedShutdown(ups, 'upsguard shutdown run');
      if (!this.waitingSince.has(ups)) this.waitingSince.set(ups, this.now());
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  powerOff(t: Target): Promise<void> {
    const left = this.server()?.clients(this.upsOf(t)) ?? [];
    return Promise.reject(
      new Error(
        `NUT secondaries cannot be powered off from here; still logged in: ${left.map((l) => `${l.user}@${l.address}`).join(', ') || 'none'}`,
      ),
    );
  }

  powerOn(_t: Target): Promise<void> {
    // A secondary comes back by itself when its power does; nothing to send.
    return Promise.resolve();
  }

  /** Resolves at the first logout (or the time limit), so the phase ends as soon as the last secondary has gone. */
  waitForChange(t: Target, from: PowerState, timeoutMs: number): Promise<PowerState> {
    const s = this.server();
    if (!s) return this.powerState(t);
    const ups = this.upsOf(t);
    return new Promise((resolve) => {
      const done = (): void => {
        this.clock.clearTimeout(timer);
        off();
        void this.powerState(t).then(resolve, () => resolve('unknown'));
      };
      const timer = this.clock.setTimeout(done, timeoutMs);
      const off = s.events.on('logout', (l) => {
        if (l.ups === ups) done();
      });
      if (from === 'off') done();
    });
  }

  /** Who logged out since the wait began, and when, and who is left: for the run's journal. */
  report(t: Target): string | undefined {
    const s = this.server();
    const ups = this.upsOf(t);
    const since = this.waitingSince.get(ups);
    if (!s || since === undefined) return undefined;
    const gone = s.logouts(ups, since).map((l) => `${l.user}@${l.address} at ${hhmmss(l.loggedOutAt)} (${l.reason})`);
    const left = s.clients(ups).map((l) => `${l.user}@${l.address}`);
    return `logged out: ${gone.join(', ') || 'none'}; still logged in: ${left.join(', ') || 'none'}`;
  }
}
