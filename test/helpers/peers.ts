import { describe, it } from 'vitest';

/**
 * `describe` for tests against real peers (upsd, libvirtd, sshd…). A missing peer skips them on a developer's
 * machine, but under CI=true it is a failure naming the peers: CI never passes with real-peer tests skipped.
 */
export function describeWithPeers(peers: Readonly<Record<string, boolean>>): (name: string, fn: () => void) => void {
  const missing = Object.entries(peers)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  if (missing.length === 0) return (name, fn) => describe(name, fn);
  if (process.env.CI === 'true') {
    return (name) =>
      describe(name, () => {
        it(`needs its real peers: ${missing.join(', ')}`, () => {
          throw new Error(
            `real peers missing under CI=true: ${missing.join(', ')} (npm test installs them when run as root)`,
          );
        });
      });
  }
  return (name, fn) => describe.skip(name, fn);
}
