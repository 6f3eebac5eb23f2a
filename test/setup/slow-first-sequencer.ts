import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that take longest (building the .deb, QEMU guests, SIGKILL stories, network namespaces) start first. On
 * a fresh clone vitest has no timings yet and orders by file size, so a two-minute file could start last and add its
 * whole length to the run; with the cache (a developer's machine) vitest's own longest-first order is kept.
 */
const SLOW_FIRST = [
  'test/packaging/deb.test.ts',
  'test/integration/shutdown-crash.test.ts',
  'test/integration/restore-crash.test.ts',
  'test/integration/https-netns.test.ts',
  'test/relay/migration.test.ts',
  'test/integration/usbredir-qemu-guest.test.ts',
  'test/integration/qemu-guest-harness.test.ts',
  'test/relay/agent.test.ts',
];

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    // A stable sort: the rest keep vitest's order.
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
