/**
 * `upsguard setup` against the real platforms the suite already runs: vcsim (ESXi model), libvirt's test driver in a
 * real libvirtd, and a loopback sshd with a forced-command key. Each credential is tested on the spot, the config is
 * written and `config check` accepts it, and the dry run passes. One of each peer for the whole file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runConfigCheck } from '../../../src/cli/config-check.js';
import { runSetup } from '../../../src/cli/setup/run-setup.js';
import { haveLibvirtd, startLibvirtd, type Libvirtd } from '../../helpers/libvirtd.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { haveSshd, startSshd, type Sshd } from '../../helpers/sshd.js';
import { startVcsim, vcsimBinary, type Vcsim } from '../../helpers/vcsim.js';

const d = describeWithPeers({ libvirtd: haveLibvirtd, sshd: haveSshd });

interface Result {
  code: number;
  out: string;
  err: string;
}

async function setup(args: string[], script?: string[]): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const typed: string[] = [];
  const terminal =
    script === undefined
      ? undefined
      : {
          input: Readable.from(script.map((l) => `${l}\n`)),
          output: new Writable({
            write(c: Buffer, _e, done) {
              typed.push(c.toString());
              done();
            },
          }),
        };
  const code = await runSetup(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    { ...(terminal ? { terminal } : {}), hostname: 'appliance' },
  );
  return { code, out: `${typed.join('')}\n${out.join('\n')}`, err: err.join('\n') };
}

function configCheck(file: string): { code: number; text: string } {
  const lines: string[] = [];
  const code = runConfigCheck(
    [file],
    (s) => lines.push(s),
    (s) => lines.push(s),
  );
  return { code, text: lines.join('\n') };
}

d('upsguard setup with vSphere, libvirt and SSH hosts', () => {
  let work: string;
  let vc: Vcsim | undefined;
  let lv: Libvirtd | undefined;
  let sshd: Sshd | undefined;
  let passwordFile: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'upsguard-setup-'));
    vcsimBinary();
    [vc, lv, sshd] = await Promise.all([
      startVcsim({ esx: true, vms: 2, tools: 'VM' }),
      startLibvirtd(join(work, 'libvirt')),
      (async () => {
        const dir = join(work, 'sshd');
        const { mkdirSync } = await import('node:fs');
        mkdirSync(dir);
        return startSshd(dir);
      })(),
    ]);
    passwordFile = join(work, 'vsphere-password');
    writeFileSync(passwordFile, 'pass\n');
  });

  afterAll(async () => {
    await Promise.all([vc?.stop(), lv?.stop(), sshd?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const flags = (file: string): string[] => [
    '--config',
    file,
    '--non-interactive',
    '--ups',
    'sim',
    '--vsphere-url',
    vc!.url,
    '--vsphere-user',
    'user',
    '--vsphere-password-file',
    passwordFile,
    '--vsphere-thumbprint',
    vc!.thumbprint,
    '--libvirt-uri',
    lv!.uri,
    '--libvirt-host',
    'nas1',
    '--ssh-host',
    `nas1=root@127.0.0.1:${sshd!.port}`,
    '--ssh-key',
    sshd!.clientKey,
    '--ssh-known-hosts',
    sshd!.knownHosts,
    '--self-host',
    'nas1',
    '--admin-password-file',
    passwordFile,
    '--store',
    join(work, 'flags.db'),
  ];

  it('from flags: tests each credential, lists what it found, writes a config config check accepts, dry run passes', async () => {
    const file = join(work, 'flags', 'upsguard.yaml');
    const r = await setup(flags(file));
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    // What each platform found, listed on the spot.
    expect(r.out).toMatch(/ssh:[\s\S]*found 1 host, 0 VMs[\s\S]*host nas1/);
    expect(r.out).toMatch(/vsphere:[\s\S]*found 1 host, 2 VMs/);
    expect(r.out).toMatch(/libvirt:[\s\S]*vm {3}test on nas1/);
    expect(r.out).toMatch(/dry run \d+ of plan cluster: completed/);
    expect(r.out).toMatch(/\(final\)\s+nas1\s+/);
    expect(r.out).toContain('The console: http://127.0.0.1:8080/ (log in as admin)');
    expect(configCheck(file)).toEqual({ code: 0, text: `${file}: ok (1 UPS)` });
    // Secrets in files of their own, mode 600, referenced by name; none inline.
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(text).toContain('password_file: vsphere.password');
    expect(statSync(join(work, 'flags', 'vsphere.password')).mode & 0o777).toBe(0o600);
    expect(text).not.toMatch(/password: pass/);
    expect(text).toMatch(/password_hash: scrypt\$/);
    // VMs by host, then the hosts, the appliance's host last.
    expect(text).toMatch(/vms_of: nas1/);
    expect(text).toMatch(/self_host: nas1/);
  }, 60_000);

  it('a re-run edits the file: answers kept as defaults, a changed number applied, comments kept', async () => {
    const file = join(work, 'edit', 'upsguard.yaml');
    expect((await setup([...flags(file), '--skip-dry-run'])).code).toBe(0);
    writeFileSync(file, `# my notes on this appliance\n${readFileSync(file, 'utf8')}`);
    const r = await setup([
      '--config',
      file,
      '--non-interactive',
      '--phase-timeout-s',
      '90',
      '--on-battery-s',
      '300',
      '--skip-dry-run',
    ]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain(`Editing ${file}`);
    expect(r.out).toContain('admin keeps the current password');
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('# my notes on this appliance\n')).toBe(true);
    expect(text).toMatch(/timeout_s: 90/);
    expect(text).toMatch(/on_battery_s: 300/);
    expect(text).toContain(`uri: ${lv!.uri}`);
    expect(text).toContain('password_file: vsphere.password');
    expect(configCheck(file).code).toBe(0);
  }, 60_000);

  it('a wrong credential fails on the spot, naming the platform, and writes nothing', async () => {
    const file = join(work, 'bad', 'upsguard.yaml');
    const wrong = join(work, 'wrong-key');
    const r = await setup([
      '--config',
      file,
      '--non-interactive',
      '--ups',
      'sim',
      '--ssh-host',
      `nas1=root@127.0.0.1:${sshd!.port}`,
      '--ssh-key',
      sshd!.strangerKey,
      '--ssh-known-hosts',
      sshd!.knownHosts,
      '--admin-password-file',
      passwordFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/ssh: the credential or endpoint test failed/);
    expect(() => statSync(file)).toThrow();
    expect(() => statSync(wrong)).toThrow();
  }, 30_000);

  it('from a scripted stdin: the same questions answered line by line (libvirt through its SSH host)', async () => {
    const file = join(work, 'script', 'upsguard.yaml');
    const r = await setup(
      ['--config', file],
      [
        '', // UPS name: ups
        'sim', // source
        '', // simulated device: default
        'ssh,libvirt',
        `nas1=root@127.0.0.1:${sshd!.port}`,
        sshd!.clientKey,
        sshd!.knownHosts,
        '', // power-off command: default
        lv!.uri,
        'nas1',
        'none', // self VM
        'nas1', // self host
        '', // UPS host: the same
        'host',
        '60', // phase timeout
        '', // off delay: proposed
        '', // on delay: proposed
        'none',
        '25', // charge
        'none',
        '', // admin
        'correct horse', // password (a script types it once)
        join(work, 'script.db'),
        '8081',
      ],
    );
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain('Platforms to shut down');
    expect(r.out).toMatch(/dry run \d+ of plan cluster: completed/);
    expect(r.out).toContain('http://127.0.0.1:8081/');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/charge_pct: 25/);
    expect(text).not.toContain('correct horse');
    expect(configCheck(file).code).toBe(0);
  }, 60_000);
});
