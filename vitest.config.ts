import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/setup/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on peers, browsers and sockets rather than compute: on 2 cores, vitest's default of one worker
    // leaves the machine idle most of the run.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
    // Built once, before any test file runs: the page's bundle and the vcsim binary.
    globalSetup: ['test/setup/build-client.ts', 'test/setup/build-vcsim.ts'],
  },
});
