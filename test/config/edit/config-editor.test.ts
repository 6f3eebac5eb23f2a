import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigEditor } from '../../../src/config/edit/config-editor.js';
import { SectionInvalidError, checkPolicySection, normaliseCandidate } from '../../../src/config/edit/section-check.js';
import { describeDifferences, diffSections } from '../../../src/config/edit/section-diff.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { loadConfig, loadConfigFile } from '../../../src/config/load.js';

describe('section checks', () => {
  it('every policy problem at once, by its full path', () => {
    const r = checkPolicySection({ charge_pct: 101, dead_time_s: 0, hosts: [{ name: 'h', feeds: [] }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'policy.charge_pct',
      'policy.dead_time_s',
      'policy.hosts.0.feeds',
    ]);
  });

  it('null means unset: the key is left out', () => {
    expect(normaliseCandidate({ charge_pct: null, flicker_s: 3 })).toEqual({ flicker_s: 3 });
  });

  it('differences leaf by leaf, worded for the audit row', () => {
    const d = diffSections('policy', { charge_pct: 30, hosts: [] }, { charge_pct: 40, runtime_s: 300, hosts: [] });
    expect(d).toEqual([
      { path: 'policy.charge_pct', from: 30, to: 40 },
      { path: 'policy.runtime_s', from: undefined, to: 300 },
    ]);
    expect(describeDifferences('policy', d)).toBe('policy: charge_pct 30 -> 40, runtime_s (unset) -> 300');
    expect(describeDifferences('policy', [])).toBe('policy: no change');
  });
});

describe('ConfigEditor', () => {
  it('the demo has no file: a save applies in memory only and says so', async () => {
    const loaded = loadConfig(undefined, {});
    const live = new LiveConfig(loaded.config);
    const applied: string[] = [];
    const editor = new ConfigEditor({ loaded, live, env: {}, applied: (s) => void applied.push(s) });
    expect(editor).toMatchObject({ file: null, demo: true, editable: true });
    const r = await editor.save('policy', { on_battery_s: 90, flicker_s: 5 });
    expect(r).toMatchObject({ saved: false, applied: true, file: null, note: 'demo: not written to a file' });
    expect(live.current().policy.on_battery_s).toBe(90);
    expect(applied).toEqual(['policy']);
    expect(editor.written('policy')).toEqual({ on_battery_s: 90, flicker_s: 5 });
    // The rest of the config is the one loaded.
    expect(live.current().ups).toBe(loaded.config.ups);
  });

  it('validates the whole config with the section: an unknown driver in the plan is refused by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upsguard-editor-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.yaml');
    const text = 'store:\n  path: ":memory:"\nups:\n  - name: u\n    source: { kind: sim }\n';
    writeFileSync(file, text);
    const loaded = loadConfigFile(file, {});
    const editor = new ConfigEditor({ loaded, live: new LiveConfig(loaded.config), env: {} });
    const plan = { name: 'p', phases: [{ name: 'a', targets: [{ driver: 'pve', names: ['x'] }] }] };
    const check = editor.check('shutdown.plan', plan);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems[0]?.path).toBe('shutdown.plan.phases.0.targets.0.driver');
    await expect(editor.save('shutdown.plan', plan)).rejects.toBeInstanceOf(SectionInvalidError);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a config not loaded from a file or the demo cannot be saved', async () => {
    const loaded = { ...loadConfig(undefined, {}), isDemo: false, source: 'test' };
    const editor = new ConfigEditor({ loaded, live: new LiveConfig(loaded.config), env: {} });
    expect(editor.editable).toBe(false);
    await expect(editor.save('policy', {})).rejects.toThrow(/not loaded from a file/);
  });
});
