// The long relay migration soak: the same test `npm test` runs with a few drops, here with 50 (and any seed).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export function run(): Promise<Record<string, number>> {
  const root = resolve(import.meta.dirname, '..');
  const drops = Number(process.env.UPSGUARD_TEST_RELAY_DROPS ?? 50);
  const started = performance.now();
  const r = spawnSync(resolve(root, 'node_modules/.bin/vitest'), ['run', 'test/relay/migration.test.ts'], {
    cwd: root,
    env: { ...process.env, UPSGUARD_TEST_RELAY_DROPS: String(drops) },
    stdio: 'inherit',
  });
  return Promise.resolve({
    drops,
    seed: Number(process.env.UPSGUARD_TEST_SEED ?? 0x5eed),
    passed: r.status === 0 ? 1 : 0,
    wall_s: (performance.now() - started) / 1000,
  });
}
