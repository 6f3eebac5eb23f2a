import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { swapPart } from '../../src/app/part-swap.js';
import type { Part } from '../../src/app/part.js';

/** A part that holds one address; bringing it up fails while `failUp` has attempts left, or while another holds it. */
interface Fake extends Part {
  serving: boolean;
  failUp: number;
  readonly address: string;
}

function fake(name: string, address: string, failUp: number): Fake {
  return { name, address, serving: false, failUp, start: () => undefined, stop: () => undefined };
}

describe('swapPart', () => {
  it('ends with exactly one of the two serving, never two on one address, and says why when neither can', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: 1 }),
        async (same, nextFails, oldFailsAgain) => {
          const held = new Map<string, Fake>();
          const old = fake('web', 'a', oldFailsAgain);
          const next = fake('web', same ? 'a' : 'b', nextFails);
          old.serving = true;
          held.set('a', old);
          const log: string[] = [];
          const bringUp = (p: Fake): Promise<void> => {
            log.push(`up ${p === old ? 'old' : 'new'}`);
            if (held.has(p.address)) return Promise.reject(new Error(`EADDRINUSE ${p.address}`));
            if (p.failUp > 0) {
              p.failUp--;
              return Promise.reject(new Error(`${p === old ? 'old' : 'new'} cannot start`));
            }
            held.set(p.address, p);
            p.serving = true;
            return Promise.resolve();
          };
          const stop = (p: Fake): Promise<void> => {
            if (held.get(p.address) === p) held.delete(p.address);
            p.serving = false;
            return Promise.resolve();
          };
          // The old one fails to come back only when it is asked to (the same-address path after a failure).
          const outcome = await swapPart({ old, next, sameAddress: same, bringUp, stop }).then(
            (p) => ({ ok: true as const, p }),
            (e: unknown) => ({ ok: false as const, message: (e as Error).message }),
          );
          if (nextFails === 0) {
            expect(outcome).toEqual({ ok: true, p: next });
            expect([old.serving, next.serving]).toEqual([false, true]);
          } else if (!same || oldFailsAgain === 0) {
            expect(outcome.ok).toBe(false);
            expect([old.serving, next.serving]).toEqual([true, false]);
            if (!outcome.ok) expect(outcome.message).toBe('new cannot start');
          } else {
            expect([old.serving, next.serving]).toEqual([false, false]);
            if (!outcome.ok) expect(outcome.message).toMatch(/^new cannot start; and the old web could not be started/);
            expect(outcome.ok).toBe(false);
          }
          // A different address: the old one is never stopped before the new one serves.
          if (!same) expect(log[0]).toBe('up new');
        },
      ),
    );
  });
});
