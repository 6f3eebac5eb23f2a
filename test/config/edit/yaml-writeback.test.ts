import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  rmSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { setSectionText, writeConfigFile } from '../../../src/config/edit/yaml-writeback.js';

export const COMMENTED = `# upsguard on the rack VM
# (owner: ops)

ups:
    # the one UPS
    - name: rack   # CyberPower
      source:
          kind: sim
          scenario: steady

policy:
    # start when charge is low
    charge_pct: 30 # percent
    # flickers are ignored
    flicker_s: 5

    runtime_factor: 1.5 # x plan estimate
    hosts: [] # one host fed by every UPS

# the plan
shutdown:
    plan:
        name: homelab  # shown on the page
        phases:
            - name: core
              targets:
                  - { driver: sim, names: [a] }
    rearm_after_s: 60 # hold

# trailing comment
`;

describe('setSectionText', () => {
  it('changes only the edited values and keeps every comment and the rest byte for byte', () => {
    const out = setSectionText(COMMENTED, ['policy'], {
      charge_pct: 40,
      flicker_s: 5,
      runtime_factor: 1.5,
      hosts: [],
      runtime_s: 300,
    });
    const data = parse(out) as { policy: Record<string, unknown> };
    expect(data.policy).toEqual({ charge_pct: 40, flicker_s: 5, runtime_factor: 1.5, hosts: [], runtime_s: 300 });
    for (const comment of COMMENTED.split('\n').filter((l) => l.includes('#'))) {
      const text = comment.slice(comment.indexOf('#'));
      expect(out).toContain(text);
    }
    const before = COMMENTED.slice(0, COMMENTED.indexOf('policy:'));
    const after = COMMENTED.slice(COMMENTED.indexOf('# the plan'));
    expect(out.startsWith(before)).toBe(true);
    expect(out.endsWith(after)).toBe(true);
    expect(out).toContain('charge_pct: 40 # percent');
  });

  it('removes a key the candidate leaves out, keeping key order of the others', () => {
    const out = setSectionText(COMMENTED, ['policy'], { flicker_s: 7, runtime_factor: 1.5, hosts: [] });
    expect(out).not.toContain('charge_pct');
    expect(out.indexOf('flicker_s: 7')).toBeLessThan(out.indexOf('runtime_factor'));
    expect(out).toContain('# x plan estimate');
  });

  it('sets a nested section and keeps the sibling keys and their comments', () => {
    const plan = {
      name: 'homelab',
      phases: [
        { name: 'vms', targets: [{ driver: 'sim', tags: ['shed'] }] },
        { name: 'core', targets: [{ driver: 'sim', names: ['a'] }], timeout_s: 90 },
      ],
    };
    const out = setSectionText(COMMENTED, ['shutdown', 'plan'], plan);
    const data = parse(out) as { shutdown: { plan: unknown; rearm_after_s: number } };
    expect(data.shutdown.plan).toEqual(plan);
    expect(data.shutdown.rearm_after_s).toBe(60);
    expect(out).toMatch(/name: homelab +# shown on the page/);
    expect(out).toContain('rearm_after_s: 60 # hold');
    expect(out.startsWith(COMMENTED.slice(0, COMMENTED.indexOf('shutdown:')))).toBe(true);
  });

  it('adds a section the file did not have, and removes one', () => {
    const text = 'ups: [] # none\n';
    const added = setSectionText(text, ['policy'], { charge_pct: 20 });
    expect(parse(added)).toEqual({ ups: [], policy: { charge_pct: 20 } });
    expect(added).toContain('# none');
    const removed = setSectionText(COMMENTED, ['shutdown', 'plan'], undefined);
    expect((parse(removed) as { shutdown: unknown }).shutdown).toEqual({ rearm_after_s: 60 });
  });

  it('refuses text that is not YAML', () => {
    expect(() => setSectionText('a: [', ['policy'], {})).toThrow(/line/);
  });
});

/** A scratch directory of this test's own. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-writeback-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('writeConfigFile', () => {
  it('replaces the file, keeps its mode and leaves no temporary file', () => {
    const dir = scratch();
    const file = join(dir, 'upsguard.yaml');
    writeFileSync(file, 'a: 1\n');
    chmodSync(file, 0o640);
    writeConfigFile(file, 'a: 2\n');
    expect(readFileSync(file, 'utf8')).toBe('a: 2\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['upsguard.yaml']);
  });

  it('writes through a symlink to the file it points at, and names a file it cannot write', () => {
    const dir = scratch();
    const real = join(dir, 'real.yaml');
    const link = join(dir, 'link.yaml');
    writeFileSync(real, 'a: 1\n');
    symlinkSync(real, link);
    writeConfigFile(link, 'a: 3\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('a: 3\n');
    expect(() => writeConfigFile(join(dir, 'missing.yaml'), 'a: 1\n')).toThrow(/missing\.yaml: cannot write/);
  });
});
