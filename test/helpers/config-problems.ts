import { ConfigError } from '../../src/errors.js';

/** The problems of the ConfigError `fn` throws; fails the test when it throws nothing or something else. */
export function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
