import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlan } from '../../src/cli/plan.js';
import { demoConfig } from '../../src/config/demo.js';
import { tempDir } from '../helpers/tmp.js';

/** The demo's configuration with its store in a scratch directory. */
function demoFile(): string {
  const dir = tempDir();
  const file = join(dir, 'demo.json');
  writeFileSync(file, JSON.stringify({ ...demoConfig, store: { path: join(dir, 'demo.db') } }));
  return file;
}

describe('upsguard plan check', () => {
  it('runs the dry run on the demo configuration, with its UPS, and exits 0', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPlan(
      ['check', '--config', demoFile()],
      (s) => out.push(s),
      (s) => err.push(s),
    );
    expect(err.join('\n')).not.toContain('no UPS source');
    expect(code, `${out.join('\n')}\n${err.join('\n')}`).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/dry run \d+ of plan homelab: completed/);
    expect(text).toMatch(/shed\s+web1\s+graceful\s+dry/);
    expect(text).toMatch(/\(final\)\s+demo\s+load_off\s+dry/);
  }, 60_000);
});
