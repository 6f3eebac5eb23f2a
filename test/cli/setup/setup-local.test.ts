/**
 * `upsguard setup` without network peers: a UPS on this machine's USB (the hidraw backend is the one stand-in, as in
 * the local transport's tests: no USB hardware here), the simulator path with its dry run, usage errors, and the
 * parsers of typed answers under fuzzing.
 */
import fc from 'fast-check';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConfigCheck } from '../../../src/cli/config-check.js';
import { parseSetupFlags } from '../../../src/cli/setup/flags.js';
import { parseSshHost } from '../../../src/cli/setup/platform-fields.js';
import { runSetup, type SetupIo } from '../../../src/cli/setup/run-setup.js';
import { nutParts } from '../../../src/cli/setup/ups-step.js';
import { UpsguardError } from '../../../src/errors.js';
import type { HidDeviceEntry } from '../../../src/ups/transport/hid-backend.js';
import { tempDir } from '../../helpers/tmp.js';

/** What node-hid lists on a host with an APC Back-UPS and a keyboard plugged in. */
const HIDRAW: HidDeviceEntry[] = [
  {
    vendorId: 0x051d,
    productId: 0x0002,
    path: '/dev/hidraw0',
    serial: '4B1624P21609',
    manufacturer: 'American Power Conversion',
    product: 'Back-UPS CS 500 FW:808.q8.I USB FW:q8',
    usagePage: 0x84,
    interfaceNumber: 0,
  },
  {
    vendorId: 0x046d,
    productId: 0xc31c,
    path: '/dev/hidraw1',
    manufacturer: 'Logitech',
    product: 'USB Keyboard',
    usagePage: 0x01,
    interfaceNumber: 0,
  },
];

async function setup(args: string[], io: SetupIo = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSetup(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    { hostname: 'appliance', listHid: () => Promise.resolve(HIDRAW), ...io },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function passwordFile(dir: string): string {
  const f = join(dir, 'pw');
  writeFileSync(f, 'a good password\n');
  return f;
}

describe('upsguard setup (local)', () => {
  it('usb: lists the UPSes on hidraw (not the keyboard) and writes the chosen one by VID:PID and serial', async () => {
    const dir = tempDir();
    const file = join(dir, 'etc', 'upsguard.yaml');
    const r = await setup([
      '--config',
      file,
      '--non-interactive',
      '--ups',
      'usb',
      '--admin-password-file',
      passwordFile(dir),
      '--store',
      join(dir, 'u.db'),
    ]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('1. 051d:0002 American Power Conversion Back-UPS CS 500');
    expect(r.out).not.toContain('Logitech');
    expect(r.out).toContain('No plan: no dry run.');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/kind: usb\n\s+vendor_id: "?051d"?\n\s+product_id: "?0002"?\n\s+serial: 4B1624P21609/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const check: string[] = [];
    expect(
      runConfigCheck(
        [file],
        (s) => check.push(s),
        (s) => check.push(s),
      ),
      check.join('\n'),
    ).toBe(0);
  });

  it('usb: no UPS on hidraw is a usage error that says what to do', async () => {
    const dir = tempDir();
    const r = await setup(['--config', join(dir, 'c.yaml'), '--non-interactive', '--ups', 'usb'], {
      listHid: () => Promise.resolve([HIDRAW[1]!]),
    });
    expect(r.code).toBe(2);
    expect(r.err).toContain("no UPS found on this machine's USB (hidraw)");
  });

  it('non-interactive: a missing answer without a default exits 2 naming its flag', async () => {
    const dir = tempDir();
    const r = await setup(['--config', join(dir, 'c.yaml'), '--non-interactive', '--ups', 'sim']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('upsguard setup: missing --admin-password-file (Password for admin)');
    const bad = await setup(['--config', join(dir, 'c.yaml'), '--non-interactive', '--ups', 'floppy']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--ups: one of usb, relay, nut, sim');
    const unknown = await setup(['--frobnicate']);
    expect(unknown).toMatchObject({ code: 2, err: 'upsguard setup: unknown option --frobnicate' });
    const help = await setup(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--admin-password-file VALUE\s+a file holding the admin's password/);
    const nutNeedsUrl = await setup(['--config', join(dir, 'c.yaml'), '--non-interactive', '--ups', 'nut']);
    expect(nutNeedsUrl.err).toContain('missing --nut-url');
  });

  it('sim: the demo cluster and plan, the admin hashed, and a dry run that passes', async () => {
    const dir = tempDir();
    const file = join(dir, 'upsguard.yaml');
    const r = await setup([
      '--config',
      file,
      '--non-interactive',
      '--ups',
      'sim',
      '--admin-password-file',
      passwordFile(dir),
      '--store',
      join(dir, 's.db'),
    ]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toMatch(/dry run \d+ of plan homelab: completed/);
    expect(readFileSync(file, 'utf8')).not.toContain('a good password');
  }, 30_000);

  it('parsers of typed answers: never crash, never leak the NUT password into the URL', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 20 }), (text, pw) => {
        const parts = nutParts(text);
        if (parts !== null) expect(parts.url.startsWith('nut://')).toBe(true);
        const withPw = nutParts(`nut://u:${encodeURIComponent(pw)}@host:3493/ups`);
        expect(withPw).toEqual({ url: 'nut://u@host:3493/ups', password: pw });
        const h = parseSshHost(text);
        if (h !== null) expect(typeof h.name).toBe('string');
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 6 }), (args) => {
        try {
          parseSetupFlags(args);
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
        }
      }),
    );
    expect(parseSshHost('nas1=admin@10.0.0.5:2222')).toEqual({
      name: 'nas1',
      address: '10.0.0.5',
      port: 2222,
      user: 'admin',
    });
    expect(parseSshHost('nas1@10.0.0.5')).toBeNull();
  });
});
