// `devices attach/detach` on Proxmox against a stand-in of the routes it uses (test/helpers/pve-qemu-config.ts),
// through the real CLI entry and the real HTTPS clients: a root@pam ticket session, and an API token that PVE refuses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDevicesAttach } from '../../src/cli/devices-attach.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { parseProxmoxAttachments, proxmoxArgsFragment } from '../../src/relay/usbredir/proxmox-args.js';
import { TOKEN, TOKEN_ID } from '../helpers/pve-contract-server.js';
import { ROOT_PASSWORD, startPveQemuConfig } from '../helpers/pve-qemu-config.js';

const OWNER_ARGS = "-cpu 'host,+kvm_pv_unhalt'  -smbios type=1,serial=abc";

describe('devices attach/detach on Proxmox (args through the API)', () => {
  let pve: Awaited<ReturnType<typeof startPveQemuConfig>>;
  let dir: string;
  let asRoot: string[];
  let asToken: string[];
  beforeAll(async () => {
    pve = await startPveQemuConfig([
      { vmid: 101, node: 'pve1', name: 'nas', status: 'running', args: OWNER_ARGS },
      { vmid: 102, node: 'pve2', name: 'fw', status: 'stopped' },
      { vmid: 103, node: 'pve2', name: 'twin', status: 'stopped' },
      { vmid: 104, node: 'pve1', name: 'twin', status: 'stopped' },
    ]);
    dir = mkdtempSync(join(tmpdir(), 'upsguard-pve-attach-'));
    writeFileSync(join(dir, 'password'), `${ROOT_PASSWORD}\n`);
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const common = ['--platform', 'proxmox', '--proxmox-url', pve.url, '--fingerprint', pve.fingerprint];
    asRoot = [...common, '--user', 'root@pam', '--password-file', join(dir, 'password')];
    asToken = [...common, '--token-id', TOKEN_ID, '--token-file', join(dir, 'token')];
  });
  afterAll(async () => {
    await pve.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[]): Promise<string[]> => {
    const lines: string[] = [];
    const code = await runDevicesAttach(
      args,
      (s) => void lines.push(s),
      (s) => void lines.push(s),
    );
    expect(code).toBe(0);
    return lines;
  };
  const vm = (vmid: number) => pve.vms.find((v) => v.vmid === vmid)!;

  it('appends our chardev and usb-redir to the owner args, once, with the config digest', async () => {
    expect(await run(['attach', 'ups1', '--vm', 'nas', '--agent', '10.0.0.5:4000', ...asRoot])).toEqual([
      'ups1 attached to nas (10.0.0.5:4000), from its next start',
    ]);
    expect(vm(101).args).toBe(`${OWNER_ARGS} ${proxmoxArgsFragment('ups1', { host: '10.0.0.5', port: 4000 })}`);
    expect(pve.writes.at(-1)?.params.digest).toMatch(/^[0-9a-f]{40}$/);
    const writes = pve.writes.length;
    expect(await run(['attach', 'ups1', '--vm', '101', '--agent', '10.0.0.5:4000', ...asRoot])).toEqual([
      'ups1 was already attached to 101 (10.0.0.5:4000)',
    ]);
    expect(pve.writes.length).toBe(writes);
    expect(parseProxmoxAttachments(vm(101).args!)).toHaveLength(1);
  });

  it('a VM without args gets only ours; detach deletes the key rather than leaving it empty', async () => {
    await run(['attach', 'dongle', '--vm', 'fw', '--agent', '[fd00::5]:4100', '--reconnect-s', '9', ...asRoot]);
    expect(parseProxmoxAttachments(vm(102).args!)).toEqual([
      { device: 'dongle', endpoint: { host: 'fd00::5', port: 4100 }, reconnectS: 9 },
    ]);
    expect(await run(['detach', 'dongle', '--vm', 'fw', ...asRoot])).toEqual(['dongle detached from fw']);
    expect(vm(102).args).toBeUndefined();
    expect(pve.writes.at(-1)?.params.delete).toBe('args');
    expect(await run(['detach', 'dongle', '--vm', 'fw', ...asRoot])).toEqual(['dongle was not attached to fw']);
  });

  it('the table lists the attachments; an API token may read them', async () => {
    const lines = await run(['attachments', ...asToken]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^ups1\s+nas\s+proxmox\s+10\.0\.0\.5:4000\s+config\s+running$/);
  });

  it("an API token cannot change args: a typed error that says why, and the VM's args are untouched", async () => {
    const before = vm(101).args;
    const err = await runDevicesAttach(
      ['detach', 'ups1', '--vm', 'nas', ...asToken],
      () => undefined,
      () => undefined,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.UsbAttachFailed);
    expect((err as UpsguardError).message).toMatch(/Proxmox VM nas.*only root can set 'args'.*not an API token/);
    expect(vm(101).args).toBe(before);
  });

  it('an ambiguous name, an unknown VM and a wrong password are typed errors naming them', async () => {
    const fails = async (args: string[], re: RegExp, code: string = ErrorCode.UsbAttachFailed): Promise<void> => {
      const e = await runDevicesAttach(
        args,
        () => undefined,
        () => undefined,
      ).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(UpsguardError);
      expect((e as UpsguardError).code).toBe(code);
      expect((e as UpsguardError).message).toMatch(re);
    };
    await fails(
      ['attach', 'ups1', '--vm', 'twin', '--agent', 'a:1', ...asRoot],
      /2 QEMU VMs are named 'twin'.*103, 104/,
    );
    await fails(['attach', 'ups1', '--vm', 'ghost', '--agent', 'a:1', ...asRoot], /no QEMU VM 'ghost'/);
    writeFileSync(join(dir, 'bad'), 'wrong');
    const wrong = asRoot.map((a) => (a === join(dir, 'password') ? join(dir, 'bad') : a));
    await fails(
      ['attach', 'ups1', '--vm', 'nas', '--agent', 'a:1', ...wrong],
      /authentication failed/,
      ErrorCode.DriverAuth,
    );
  });
});
