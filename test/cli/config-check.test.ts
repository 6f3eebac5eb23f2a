import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

/** The CLI as users run it (src/main.ts through tsx), from a working directory that is not the config's. */
function upsguard(args: string[], cwd = root): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(tsx, [resolve(root, 'src/main.ts'), ...args], { cwd, env: { ...process.env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

describe('upsguard config check', () => {
  it('refuses what serve refuses: a simulated UPS whose scenario file is missing', async () => {
    const dir = tempDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'ups:\n  - name: u\n    source: { kind: sim, scenario: outage.txt }\n');
    const r = await upsguard(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`upsguard: ${file}: ups.0.source.scenario: cannot read ${join(dir, 'outage.txt')} (ENOENT)\n`);
    // serve refuses it at load with the same line, before starting anything.
    const s = await upsguard(['serve', '--config', file]);
    expect(s.code).toBe(1);
    expect(s.err).toContain(
      `upsguard: ${file}: ups.0.source.scenario: cannot read ${join(dir, 'outage.txt')} (ENOENT)\n`,
    );

    writeFileSync(join(dir, 'outage.txt'), '0 mains on\n60 mains off\n');
    const ok = await upsguard(['config', 'check', file], dir === root ? '/' : root);
    expect(ok).toEqual({ code: 0, out: `${file}: ok (1 UPS)\n`, err: '' });
  });

  it('a missing or oversized file is one line naming the file and the reason, exit 1', async () => {
    const dir = tempDir();
    const missing = join(dir, 'nope.yaml');
    const r = await upsguard(['config', 'check', missing]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `upsguard: ${missing}: cannot read configuration: no such file or directory (ENOENT)\n`,
    });
    const z = await upsguard(['config', 'check', '/dev/zero']);
    expect(z).toEqual({
      code: 1,
      out: '',
      err: 'upsguard: /dev/zero: larger than the 1048576 byte (1 MiB) cap for configuration files\n',
    });
  });

  it('lists several problems one per line, each naming the file', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'ups: []\nweb: { port: "x" }\n');
    const r = await upsguard(['config', 'check', file]);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines[0]).toBe(`upsguard: ${file}: 2 problems`);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.startsWith(`upsguard: ${file}: `)).toBe(true);
  });
});
