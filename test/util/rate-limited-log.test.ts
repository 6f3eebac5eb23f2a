import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { ManualClock } from '../../src/util/clock.js';
import { RateLimitedLog } from '../../src/util/rate-limited-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'info', destination: sink }) };
}

describe('rate-limited log', () => {
  it('writes at most N lines per key and window, then one summary when the window ends', () => {
    const clock = new ManualClock(0);
    const { lines, log } = capture();
    const rl = new RateLimitedLog({ log, clock, maxPerWindow: 3, windowMs: 10_000 });
    for (let i = 0; i < 1000; i++) rl.warn('10.0.0.1', { address: '10.0.0.1' }, 'bad line');
    expect(lines).toHaveLength(3);
    clock.advance(9_999);
    expect(lines).toHaveLength(3);
    clock.advance(1);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({ msg: 'suppressed 997 similar warnings (bad line)', suppressed: 997 });
    expect(lines[3]!.address).toBe('10.0.0.1');
    // A new window starts afresh.
    rl.warn('10.0.0.1', { address: '10.0.0.1' }, 'bad line');
    expect(lines).toHaveLength(5);
  });

  it('keeps keys apart; a quiet window ends without a summary', () => {
    const clock = new ManualClock(0);
    const { lines, log } = capture();
    const rl = new RateLimitedLog({ log, clock, maxPerWindow: 1, windowMs: 1000 });
    rl.warn('a', {}, 'x');
    rl.warn('a', {}, 'x');
    rl.warn('b', {}, 'y');
    expect(lines.map((l) => l.msg)).toEqual(['x', 'y']);
    clock.advance(1000);
    expect(lines.map((l) => l.msg)).toEqual(['x', 'y', 'suppressed 1 similar warnings (x)']);
  });

  it('bounds the keys it tracks: past maxKeys, new sources share one bucket', () => {
    const clock = new ManualClock(0);
    const { lines, log } = capture();
    const rl = new RateLimitedLog({ log, clock, maxPerWindow: 1, windowMs: 1000, maxKeys: 2 });
    for (let i = 0; i < 100; i++) rl.warn(`k${String(i)}`, {}, 'z');
    expect(lines).toHaveLength(3);
    clock.advance(1000);
    expect(lines.at(-1)!.msg).toBe('suppressed 97 similar warnings (z)');
  });

  it('flush writes the pending summaries at once', () => {
    const clock = new ManualClock(0);
    const { lines, log } = capture();
    const rl = new RateLimitedLog({ log, clock, maxPerWindow: 1, windowMs: 60_000 });
    rl.info('a', {}, 'm');
    rl.info('a', {}, 'm');
    rl.flush();
    expect(lines.map((l) => l.msg)).toEqual(['m', 'suppressed 1 similar messages (m)']);
    clock.advance(60_000);
    expect(lines).toHaveLength(2);
  });
});
