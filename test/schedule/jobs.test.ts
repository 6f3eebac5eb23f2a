import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { Jobs } from '../../src/schedule/jobs.js';
import { ManualClock } from '../../src/util/clock.js';

const quiet = createLogger({ level: 'silent' });
const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the job scheduler on the injected clock', () => {
  it('runs a job exactly when its cron expression matches the clock, and records when', async () => {
    // 2026-12-01 03:29:00 local time
    const start = new Date(2026, 11, 1, 3, 29, 0).getTime();
    const clock = new ManualClock(start);
    const ran: number[] = [];
    const jobs = new Jobs(
      [{ name: 'nightly', schedule: '30 3 * * *', run: () => void ran.push(clock.now()) }],
      quiet,
      clock,
    );
    jobs.start();
    clock.advance(59_999);
    await flush();
    expect(ran).toEqual([]);
    clock.advance(1);
    await flush();
    expect(ran).toEqual([start + 60_000]);
    expect(jobs.list()[0]?.lastRunAt).toBe(start + 60_000);
    clock.advance(24 * 3_600_000);
    await flush();
    expect(ran).toHaveLength(2);
    await jobs.stop();
    clock.advance(24 * 3_600_000);
    await flush();
    expect(ran, 'nothing runs after stop').toHaveLength(2);
  });

  it('skips a run that is due while the previous one is still going, and logs a failing job', async () => {
    const clock = new ManualClock(new Date(2026, 11, 1, 0, 0, 0).getTime());
    let release: () => void = () => undefined;
    let started = 0;
    const jobs = new Jobs(
      [
        {
          name: 'slow',
          schedule: '* * * * * *',
          run: () => {
            started++;
            return new Promise<void>((r) => (release = r));
          },
        },
        { name: 'broken', schedule: '* * * * * *', run: () => Promise.reject(new Error('no route to host')) },
      ],
      quiet,
      clock,
    );
    jobs.start();
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await flush();
    }
    expect(started).toBe(1);
    release();
    await flush();
    clock.advance(1000);
    await flush();
    expect(started).toBe(2);
    expect(jobs.list().find((j) => j.name === 'broken')?.lastError).toBe('no route to host');
    await jobs.stop();
  });
});
