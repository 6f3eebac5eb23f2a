import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runHidInspect } from '../../src/cli/hid-inspect.js';
import { DEVICES, hidDir, values } from '../ups/hid/fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'hid-inspect-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const fixture = (key: keyof typeof DEVICES): string => path.join(hidDir, `${DEVICES[key].file}.hex`);

async function run(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runHidInspect(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
}

const cpsReports = file(
  'cps-reports.txt',
  [
    '# CP1500PFCLCD',
    '',
    ...new Set(
      values('cyberpower').map(
        (v) => `${v.type} ${[...v.report].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`,
      ),
    ),
  ].join('\n'),
);

describe('upsguard hid inspect', () => {
  it('prints JSON fields and variables with the vendor model applied', async () => {
    const r = await run([
      '--descriptor',
      fixture('cyberpower'),
      '--reports',
      cpsReports,
      '--vid',
      '0764',
      '--pid',
      '0501',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0] ?? '') as { fields: Record<string, unknown>[]; variables: Record<string, string> };
    expect(doc.fields).toHaveLength(53);
    const outV = doc.fields.find((f) => f.path === 'UPS.Output.Voltage');
    expect(outV).toEqual({
      path: 'UPS.Output.Voltage',
      type: 'feature',
      reportId: 0x12,
      offset: 0,
      size: 16,
      logicalMin: 0,
      logicalMax: 511,
      physicalMin: null,
      physicalMax: null,
      unit: 0xf0d121,
      unitExponent: 7,
      value: 121,
    });
    expect(doc.fields.find((f) => f.path === 'UPS.Output.DelayBeforeShutdown')).toMatchObject({
      physicalMin: -60,
      value: -60,
    });
    // Report 0x1b (firmware) was not given: no value key.
    expect(doc.fields.find((f) => f.path === 'UPS.PowerSummary.CPSFirmwareVersion')).not.toHaveProperty('value');
    expect(doc.variables).toMatchObject({ 'battery.charge': '100', 'output.voltage': '121.0', 'ups.status': 'OL' });
  });

  it('without vid/pid uses generic names and no quirks', async () => {
    const r = await run(['--descriptor', fixture('cyberpower'), '--reports', cpsReports, '--json']);
    const doc = JSON.parse(r.out[0] ?? '') as { fields: { path: string; value?: number }[] };
    expect(doc.fields.find((f) => f.path === 'UPS.Output.Voltage')?.value).toBe(136);
    expect(doc.fields.some((f) => f.path === 'UPS.PowerSummary.ff0100d0')).toBe(true);
  });

  it('prints an aligned table and the variables', async () => {
    const reports = file('apc.txt', 'feature 0c 64 00 00 14 0a\nfeature 0c 32 00 00 14 0a\ninput 13 01\n');
    const r = await run(['--descriptor', fixture('apc'), '--reports', reports, '--vid', '051d', '--pid', '0002']);
    expect(r.code).toBe(0);
    const header = r.out.find((l) => l.startsWith('PATH'));
    expect(header).toMatch(/^PATH\s+TYPE\s+ID\s+OFFSET\s+SIZE/);
    const row = r.out.find((l) => l.startsWith('UPS.PowerSummary.RemainingCapacity ') && l.includes('feature'));
    // The later report 0x0c replaced the earlier one: 0x32 = 50.
    expect(row?.trimEnd().endsWith(' 50')).toBe(true);
    const col = (header ?? '').indexOf('TYPE');
    expect(row?.slice(col, col + 7)).toBe('feature');
    expect(r.out).toContain('variables:');
    expect(r.out).toContain('  battery.charge: 50');
    expect(r.out).toContain('  ups.status: OL');
  });

  it('exits 1 naming the byte offset of a malformed descriptor', async () => {
    const bad = file('bad.hex', '05 84 09 04 a1 01 c0 c0');
    const r = await run(['--descriptor', bad]);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/offset 7/);
    const junk = await run(['--descriptor', file('junk.hex', '05 zz')]);
    expect(junk.code).toBe(1);
    const missing = await run(['--descriptor', path.join(dir, 'nope.hex')]);
    expect(missing.code).toBe(1);
  });

  it('rejects a bad reports line with exit 1', async () => {
    const r = await run(['--descriptor', fixture('apc'), '--reports', file('r.txt', 'sideways 01 02')]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/line 1/);
  });

  it('exits 2 with usage on bad arguments', async () => {
    for (const args of [
      [],
      ['--json'],
      ['--descriptor'],
      ['--descriptor', 'x', '--vid', '051d'],
      ['--bogus'],
      ['--descriptor', 'x', '--vid', 'zz', '--pid', '1'],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.at(-1)).toMatch(/^usage: upsguard hid inspect/);
    }
  });
});

describe('hid inspect input files under arbitrary content', () => {
  it('exits 0 or 1 with a message, never throws, for any descriptor and reports text', async () => {
    const fc = (await import('fast-check')).default;
    const hexish = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.uint8Array({ maxLength: 80 }).map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')),
    );
    const reportLine = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(fc.constantFrom('feature', 'input', 'output', 'junk'), fc.uint8Array({ maxLength: 10 }))
        .map(([t, b]) => `${t} ${[...b].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`),
    );
    await fc.assert(
      fc.asyncProperty(hexish, fc.array(reportLine, { maxLength: 6 }), fc.boolean(), async (desc, lines, json) => {
        const d = file('fuzz.hex', desc);
        const r = file('fuzz-reports.txt', lines.join('\n'));
        const res = await run([
          '--descriptor',
          d,
          '--reports',
          r,
          '--vid',
          '0764',
          '--pid',
          '0501',
          ...(json ? ['--json'] : []),
        ]);
        expect([0, 1]).toContain(res.code);
        if (res.code === 1) expect(res.err.join('\n').length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.resolve(root, 'node_modules/.bin/tsx');

/** The CLI as users run it: src/main.ts through tsx. With closeStdout the reading end of stdout is closed at once. */
function upsguard(args: string[], closeStdout = false): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(tsx, [path.resolve(root, 'src/main.ts'), ...args], { cwd: root, env: { ...process.env } });
  let out = '';
  let err = '';
  if (closeStdout) child.stdout.destroy();
  else child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((r) => child.on('close', (code) => r({ code, out, err })));
}

describe('upsguard hid inspect, spawned', () => {
  it('exits 0 with nothing on stderr when stdout is a closed pipe (| head -1)', async () => {
    const r = await upsguard(['hid', 'inspect', '--descriptor', fixture('eaton')], true);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('an empty descriptor file is the typed parse error: one line naming the file and the offset, exit 1', async () => {
    const empty = file('empty.hex', '');
    const r = await upsguard(['hid', 'inspect', '--descriptor', empty]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `upsguard: ${empty}: malformed report descriptor: empty report descriptor (at byte offset 0)\n`,
    });
    const blank = await run(['--descriptor', file('blank.hex', '  \n# nothing\n'.replace('# nothing', ''))]);
    expect(blank.code).toBe(1);
    expect(blank.err.join('\n')).toMatch(/empty report descriptor \(at byte offset 0\)/);
  });

  it('a missing file is one line naming the file and the reason, never a raw ENOENT', async () => {
    const nope = path.join(dir, 'nope.hex');
    const r = await upsguard(['hid', 'inspect', '--descriptor', nope]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: `upsguard: ${nope}: cannot read: no such file or directory (ENOENT)\n`,
    });
    const reports = path.join(dir, 'nope-reports.txt');
    const r2 = await upsguard(['hid', 'inspect', '--descriptor', fixture('apc'), '--reports', reports]);
    expect(r2.code).toBe(1);
    expect(r2.err).toBe(`upsguard: ${reports}: cannot read: no such file or directory (ENOENT)\n`);
  });

  it('names the file in every input error', async () => {
    const junk = file('junk2.hex', '05 zz');
    expect((await run(['--descriptor', junk])).err).toEqual([`upsguard: ${junk}: token 1 "zz" is not a hex byte`]);
    const bad = file('bad2.hex', '05 84 09 04 a1 01 c0 c0');
    expect((await run(['--descriptor', bad])).err).toEqual([
      `upsguard: ${bad}: malformed report descriptor: End Collection without an open collection (at byte offset 7)`,
    ]);
    const r = file('r2.txt', 'sideways 01 02');
    expect((await run(['--descriptor', fixture('apc'), '--reports', r])).err).toEqual([
      `upsguard: ${r}: line 1: expected "feature|input HEXBYTES"`,
    ]);
    expect((await run(['--descriptor', '/dev/zero'])).err).toEqual([
      'upsguard: /dev/zero: larger than the 1048576 byte (1 MiB) cap',
    ]);
  });
});
