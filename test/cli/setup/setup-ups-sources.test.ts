/**
 * `upsguard setup`'s UPS sources against real peers: an existing upsd (NUT 2.8, dummy-ups), whose login is tested on
 * the spot, and a relay agent (`upsguard relay --simulate` as its own process), for which setup makes the PSK and
 * prints the agent's line and command. An SSH host (loopback sshd) is the platform, so each run ends with a dry run.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runConfigCheck } from '../../../src/cli/config-check.js';
import { runSetup } from '../../../src/cli/setup/run-setup.js';
import { haveNut, startUpsd, type Upsd } from '../../helpers/nut-peers.js';
import { describeWithPeers } from '../../helpers/peers.js';
import { freePort, startAgent, type RunningProcess } from '../../helpers/relay-agent-process.js';
import { haveSshd, startSshd, type Sshd } from '../../helpers/sshd.js';

const d = describeWithPeers({ nut: haveNut, sshd: haveSshd });

async function setup(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSetup(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    { hostname: 'appliance' },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function configCheck(file: string): number {
  return runConfigCheck(
    [file],
    () => undefined,
    () => undefined,
  );
}

d('upsguard setup with an existing upsd and with a relay agent', () => {
  let work: string;
  let upsd: Upsd | undefined;
  let sshd: Sshd | undefined;
  let agent: RunningProcess | undefined;
  let adminPassword: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'upsguard-setup-ups-'));
    mkdirSync(join(work, 'nut'));
    mkdirSync(join(work, 'sshd'));
    [upsd, sshd] = await Promise.all([
      startUpsd(join(work, 'nut'), [
        {
          name: 'rack',
          desc: 'steady',
          file: 'rack.dev',
          text: 'device.mfr: Dummy\ndevice.model: SimUPS 900\nups.status: OL\nbattery.charge: 100\nbattery.runtime: 2400\n',
        },
      ]),
      startSshd(join(work, 'sshd')),
    ]);
    adminPassword = join(work, 'admin-password');
    writeFileSync(adminPassword, 'a long admin password\n');
  });

  afterAll(async () => {
    await Promise.all([upsd?.stop(), sshd?.stop(), agent?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const common = (file: string, db: string): string[] => [
    '--config',
    file,
    '--non-interactive',
    '--ssh-host',
    `nas1=root@127.0.0.1:${sshd!.port}`,
    '--ssh-key',
    sshd!.clientKey,
    '--ssh-known-hosts',
    sshd!.knownHosts,
    '--self-host',
    'nas1',
    '--admin-password-file',
    adminPassword,
    '--store',
    join(work, db),
  ];

  it('nut: the login is tested, the password goes to a mode-600 file, the dry run passes', async () => {
    const file = join(work, 'nut-ok', 'upsguard.yaml');
    const r = await setup([
      ...common(file, 'nut.db'),
      '--ups',
      'nut',
      '--nut-url',
      `nut://monuser:monpass@127.0.0.1:${upsd!.port}/rack`,
    ]);
    expect(r.code, `${r.out}\n${r.err}`).toBe(0);
    expect(r.out).toContain(`ok: logged in to 127.0.0.1:${upsd!.port} as monuser; status OL`);
    expect(r.out).toMatch(/dry run \d+ of plan cluster: completed/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`url: nut://monuser@127.0.0.1:${upsd!.port}/rack`);
    expect(text).toContain('password_file: nut-ups.password');
    expect(text).not.toContain('monpass');
    expect(statSync(join(work, 'nut-ok', 'nut-ups.password')).mode & 0o777).toBe(0o600);
    expect(configCheck(file)).toBe(0);
  }, 40_000);

  it('nut: a wrong password is refused on the spot, without the password in the message', async () => {
    const file = join(work, 'nut-bad', 'upsguard.yaml');
    const r = await setup([
      ...common(file, 'nut-bad.db'),
      '--ups',
      'nut',
      '--nut-url',
      `nut://monuser:not-the-password@127.0.0.1:${upsd!.port}/rack`,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the NUT login failed: NUT server answered ERR ACCESS-DENIED/);
    expect(r.err).not.toContain('not-the-password');
    expect(() => statSync(file)).toThrow();
  }, 20_000);

  it('relay: makes the PSK, prints the agent line and command; once the agent has it, a re-run finds the agent', async () => {
    const file = join(work, 'relay', 'upsguard.yaml');
    const port = await freePort();
    const first = await setup([
      ...common(file, 'relay.db'),
      '--ups',
      'relay',
      '--relay-address',
      `127.0.0.1:${port}`,
      '--skip-dry-run',
    ]);
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    expect(first.out).toContain('the agent does not accept this appliance yet');
    const line = /^ {2}(upsguard-appliance [0-9a-f]{64})$/m.exec(first.out)?.[1];
    expect(line, first.out).toBeDefined();
    expect(first.out).toContain(`upsguard relay --listen 0.0.0.0:${port} --psk-file /etc/upsguard/relay.keys`);
    const psk = join(work, 'relay', 'relay-ups.psk');
    expect(statSync(psk).mode & 0o777).toBe(0o600);
    expect(readFileSync(psk, 'utf8').trim()).toBe(line!.split(' ')[1]);
    expect(readFileSync(file, 'utf8')).not.toContain(line!.split(' ')[1]);

    // What the operator does on the agent's host, with the printed line.
    const keys = join(work, 'agent.keys');
    writeFileSync(keys, `${line!}\n`);
    chmodSync(keys, 0o600);
    mkdirSync(join(work, 'agent'));
    agent = (await startAgent({ dir: join(work, 'agent'), keysFile: keys, port })).proc;

    const again = await setup(['--config', file, '--non-interactive']);
    expect(again.code, `${again.out}\n${again.err}`).toBe(0);
    expect(again.out).toContain('Keeping the relay key in relay-ups.psk.');
    expect(again.out).toMatch(new RegExp(`ok: agent 127\\.0\\.0\\.1:${port} answered; exported devices: \\S+`));
    expect(again.out).toMatch(/dry run \d+ of plan cluster: completed/);
    expect(configCheck(file)).toBe(0);
  }, 60_000);
});
