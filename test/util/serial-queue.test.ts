import { describe, expect, it } from 'vitest';
import { SerialQueue } from '../../src/util/serial-queue.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('serial queue', () => {
  it('runs tasks one at a time, in the order they were queued', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([q.run(task('a')), q.run(task('b')), q.run(task('c'))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('a task that fails rejects its own caller only; the next one still runs', async () => {
    const q = new SerialQueue();
    const first = q.run(() => Promise.reject(new Error('stalled')));
    const thrown = q.run(() => {
      throw new Error('sync throw');
    });
    const second = q.run(() => Promise.resolve(2));
    await expect(first).rejects.toThrow('stalled');
    await expect(thrown).rejects.toThrow('sync throw');
    await expect(second).resolves.toBe(2);
    expect(q.size).toBe(0);
  });

  it('counts what is queued or running', async () => {
    const q = new SerialQueue();
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const a = q.run(() => gate);
    const b = q.run(() => Promise.resolve());
    expect(q.size).toBe(2);
    release();
    await Promise.all([a, b]);
    expect(q.size).toBe(0);
  });
});
