import { describe, expect, test } from 'vitest';
import type { NutLogin, NutServerEvents } from '../../../src/ups/nut/nut-server.js';
import { waitForSecondaries, type NutLoginsView } from '../../../src/ups/nut/secondaries.js';
import { ManualClock } from '../../../src/util/clock.js';
import { Listeners } from '../../../src/util/listeners.js';

class FakeLogins implements NutLoginsView {
  readonly events = new Listeners<NutServerEvents>();
  logins: NutLogin[] = [];
  constructor(private readonly clock: ManualClock) {}
  numLogins(ups: string): number {
    return this.clients(ups).length;
  }
  clients(ups: string): NutLogin[] {
    return this.logins.filter((l) => l.ups === ups);
  }
  logout(user: string): void {
    const l = this.logins.find((x) => x.user === user)!;
    this.logins = this.logins.filter((x) => x !== l);
    this.events.emit('logout', { ...l, loggedOutAt: this.clock.now(), reason: 'closed by the client' });
  }
}

const login = (user: string, ups = 'rack'): NutLogin => ({
  ups,
  user,
  address: `10.0.0.${user.length}`,
  loggedInAt: 0,
});

describe('waitForSecondaries', () => {
  test('resolves when the last one logs out, reporting who and when', async () => {
    const clock = new ManualClock(1000);
    const view = new FakeLogins(clock);
    view.logins = [login('nas'), login('pve1'), login('other', 'elsewhere')];
    const seen: string[] = [];
    const wait = waitForSecondaries(view, 'rack', { timeoutMs: 15_000, clock, onLogout: (l) => seen.push(l.user) });
    clock.advance(2000);
    view.logout('nas');
    clock.advance(1500);
    view.logout('other');
    view.logout('pve1');
    const r = await wait;
    expect(r.outcome).toBe('all-logged-out');
    expect(r.loggedOut.map((l) => [l.user, l.loggedOutAt])).toEqual([
      ['nas', 3000],
      ['pve1', 4500],
    ]);
    expect(seen).toEqual(['nas', 'pve1']);
    expect(r.remaining).toEqual([]);
    expect(r.waitedMs).toBe(3500);
  });

  test('gives up after the HOSTSYNC-like timeout, naming who is left', async () => {
    const clock = new ManualClock(0);
    const view = new FakeLogins(clock);
    view.logins = [login('nas'), login('pve1')];
    const wait = waitForSecondaries(view, 'rack', { timeoutMs: 15_000, clock });
    view.logout('nas');
    clock.advance(14_999);
    let done = false;
    void wait.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    const r = await wait;
    expect(r.outcome).toBe('timeout');
    expect(r.remaining.map((l) => l.user)).toEqual(['pve1']);
    expect(r.loggedOut.map((l) => l.user)).toEqual(['nas']);
  });

  test('nobody logged in (or only ignored logins): done at once; abort ends the wait', async () => {
    const clock = new ManualClock(0);
    const view = new FakeLogins(clock);
    view.logins = [login('upsguard-self')];
    const r = await waitForSecondaries(view, 'rack', {
      timeoutMs: 1000,
      clock,
      ignore: (l) => l.user === 'upsguard-self',
    });
    expect(r).toEqual({ outcome: 'all-logged-out', loggedOut: [], remaining: [], waitedMs: 0 });
    view.logins.push(login('nas'));
    const ac = new AbortController();
    const wait = waitForSecondaries(view, 'rack', { timeoutMs: 1000, clock, signal: ac.signal });
    ac.abort();
    expect((await wait).outcome).toBe('aborted');
    expect(view.events.count('logout')).toBe(0);
  });
});
