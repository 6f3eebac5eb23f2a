/**
 * A seeded random source (mulberry32) for tests that inject faults at random moments: a failure names its seed,
 * and `UPSGUARD_TEST_SEED=<seed>` replays exactly the same moments.
 */
export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
}

export function seededRandom(seed = Number(process.env.UPSGUARD_TEST_SEED ?? 0x5eed)): SeededRandom {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, between: (min, max) => min + next() * (max - min) };
}
