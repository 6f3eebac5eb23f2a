// Pure parts of the libvirt driver, and what no test-driver domain can do (hang): a fake virsh stands in for that.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { libvirtDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { LibvirtDriver } from '../../src/shutdown/drivers/libvirt.js';
import { Virsh, classifyVirshFailure, parseDomstate, virshQuote } from '../../src/shutdown/drivers/libvirt/virsh.js';
import { tempDir } from '../helpers/tmp.js';

const fail = (stderr: string, extra: Partial<{ timedOut: boolean; code: number }> = {}): UpsguardError =>
  classifyVirshFailure('kvm/web', { code: 1, stdout: '', stderr, timedOut: false, ...extra }, 1000);

describe('libvirt driver: virsh words', () => {
  it('maps domstate --reason to power states', () => {
    expect(parseDomstate('running (booted)\n')).toEqual({ state: 'on', text: 'running (booted)' });
    expect(parseDomstate('paused (user)').state).toBe('on');
    expect(parseDomstate('in shutdown (unknown)').state).toBe('stopping');
    expect(parseDomstate('shut off (destroyed)').state).toBe('off');
    expect(parseDomstate('crashed (panicked)').state).toBe('off');
    expect(parseDomstate('').state).toBe('unknown');
  });

  it('turns virsh error messages into typed errors', () => {
    expect(fail("error: failed to get domain 'web'").code).toBe(ErrorCode.DriverNotFound);
    expect(fail('error: authentication failed: Failed to start SASL negotiation').code).toBe(ErrorCode.DriverAuth);
    expect(fail('root@kvm1: Permission denied (publickey).\nerror: Cannot recv data').code).toBe(ErrorCode.DriverAuth);
    expect(fail('Host key verification failed.\nerror: Cannot recv data').code).toBe(ErrorCode.DriverHostKey);
    expect(fail("error: access denied: 'domain.shutdown' not allowed").code).toBe(ErrorCode.DriverPermission);
    expect(fail("error: Failed to connect socket to '/x': No such file or directory").code).toBe(
      ErrorCode.DriverUnreachable,
    );
    expect(fail('ssh: connect to host kvm1 port 22: Connection refused').code).toBe(ErrorCode.DriverUnreachable);
    expect(fail('', { timedOut: true }).code).toBe(ErrorCode.DriverTimeout);
    expect(fail('error: something new').code).toBe(ErrorCode.DriverFailure);
  });

  it("quotes names for virsh's parser", () => {
    expect(virshQuote("it's a vm\\")).toBe("'it\\'s a vm\\\\'");
  });

  it('adds keyfile and a pinned-known_hosts wrapper to +ssh URIs only', () => {
    const v = new Virsh({ uri: 'qemu+ssh://root@kvm1/system', timeoutMs: 1, keyFile: '/k', knownHosts: '/kh' });
    const u = new URL(v.uri);
    expect(u.searchParams.get('keyfile')).toBe('/k');
    expect(u.searchParams.get('command')).toMatch(/upsguard-drivers-.*\/virsh-ssh-[0-9a-f]{16}$/);
    expect(new Virsh({ uri: 'qemu:///system', timeoutMs: 1, keyFile: '/k' }).uri).toBe('qemu:///system');
  });
});

describe('libvirt driver with a fake virsh', () => {
  const dir = tempDir();
  const fake = (body: string): LibvirtDriver => {
    mkdirSync(dir, { recursive: true }); // tempDir() removes it after each test
    const path = join(dir, 'virsh');
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return new LibvirtDriver(
      libvirtDriverSchema.parse({ name: 'kvm', kind: 'libvirt', uri: 'qemu:///system', call_timeout_ms: 300 }),
      { baseDir: dir, virshPath: path },
    );
  };
  const vm = { driver: 'kvm', name: 'web', kind: 'vm' as const, tags: [], macs: [] };

  // The test driver inside libvirtd has no guest-agent channel, so this part is shown with a fake virsh.
  it("reports a running domain's guest agent as tools / no-tools, and nothing where the hypervisor cannot tell", async () => {
    const virsh = (agentAnswer: string): LibvirtDriver =>
      fake(`case "$*" in
  *"list --all --name"*) printf 'web\\ndb\\nold\\n' ;;
  *domstate*) printf '@@upsguard-0@@\\nrunning (booted)\\n@@upsguard-1@@\\nrunning (booted)\\n@@upsguard-2@@\\nshut off (shutdown)\\n' ;;
  *domiflist*) printf '@@upsguard-0@@\\n@@upsguard-1@@\\n@@upsguard-2@@\\n' ;;
  *qemu-agent-command*) ${agentAnswer} ;;
esac`);
    const tagsOf = async (d: LibvirtDriver) => Object.fromEntries((await d.discover()).map((t) => [t.name, t.tags]));
    expect(
      await tagsOf(
        virsh(
          `case "$*" in *web*) echo '{"return":{}}' ;; *) echo "error: Guest agent is not responding: QEMU guest agent is not connected" >&2; exit 1 ;; esac`,
        ),
      ),
    ).toEqual({ web: ['libvirt', 'tools'], db: ['libvirt', 'no-tools'], old: ['libvirt'] });
    expect(
      await tagsOf(
        virsh(
          `echo "error: this function is not supported by the connection driver: virDomainQemuAgentCommand" >&2; exit 1`,
        ),
      ),
    ).toEqual({ web: ['libvirt'], db: ['libvirt'], old: ['libvirt'] });
  });

  it('bounds a hanging virsh with the configured timeout', async () => {
    const t0 = Date.now();
    const err = await fake('sleep 5')
      .shutdown(vm)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.DriverTimeout });
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('treats "not running" on shutdown and "already active" on start as done', async () => {
    await fake(`echo "error: Requested operation is not valid: domain is not running" >&2; exit 1`).shutdown(vm);
    await fake(`echo "error: Requested operation is not valid: domain is already active" >&2; exit 1`).powerOn(vm);
    const err = await fake(`echo "error: internal error: boom" >&2; exit 1`)
      .powerOff(vm)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.DriverFailure });
  });
});
