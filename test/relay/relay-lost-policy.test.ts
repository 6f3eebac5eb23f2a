import { afterEach, describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/shutdown-schema.js';
import { decide, trackAll, type PolicyState } from '../../src/shutdown/policy.js';
import { ManualClock } from '../../src/util/clock.js';
import { type RunningProcess, startAgent, writeKeys } from '../helpers/relay-agent-process.js';
import { tempDir } from '../helpers/tmp.js';
import { relayMonitor } from '../helpers/relay-monitor.js';
import { sleep, until } from '../helpers/until.js';

const procs: RunningProcess[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const p of procs.splice(0)) await p.stop();
});

// The whole path under one manual clock: a relay agent (its own process) on battery goes away; the link is lost
// after lost_after (COMMBAD), and the policy counts the dead time from the last contact: warning while the dead
// time runs, critical (dead on battery) the moment it is passed, not a millisecond before.
describe('relay lost while on battery, under the manual clock', () => {
  it('COMMBAD at lost_after, critical exactly when the dead time since the last contact has passed', async () => {
    const dir = tempDir();
    const keys = writeKeys(dir, ['vm1']);
    const agent = await startAgent({ dir, keysFile: keys.file, scenario: '0 mains off\n0 load 20\n' });
    procs.push(agent.proc);
    const clock = new ManualClock(Date.UTC(2026, 11, 1));
    const { relay, monitor, events } = relayMonitor({ port: agent.port, key: keys.keys.vm1!, clock, mode: 'observe' });
    closers.push(() => monitor.stop());
    let state: PolicyState = {};
    monitor.events.on('snapshot', (s) => {
      state = trackAll(state, s);
    });
    const policy = policySchema.parse({ dead_time_s: 30, runtime_factor: 0 });
    const level = (): string => decide(state, policy, clock.now(), null).level;
    await monitor.start();
    await until('the first reading on battery', () => monitor.snapshot().status.includes('OB'));
    const lastContact = monitor.snapshot().lastContactAt;
    expect(level()).toBe('warning');

    await agent.proc.kill();
    await until('the link to drop', () => relay.status().link === 'reconnecting');
    for (let t = 0; t < 20_000; t += 500) {
      clock.advance(500);
      await sleep(5); // pacing: lets each reconnect attempt reach the closed port and be refused
    }
    await until('COMMBAD at lost_after', () => events.includes('COMMBAD'), 2000);
    expect(monitor.snapshot().comms).toBe('lost');
    expect(level(), 'lost, but the dead time has not passed: warning').toBe('warning');

    clock.advance(lastContact + 30_000 - clock.now());
    expect(level(), 'exactly the dead time: not yet').toBe('warning');
    clock.advance(1);
    const d = decide(state, policy, clock.now(), null);
    expect(d.level).toBe('critical');
    expect(d.reasons.map((r) => r.trigger)).toContain('dead_on_battery');
  }, 30_000);
});
