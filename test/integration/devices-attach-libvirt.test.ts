// `devices attach/detach` against a real libvirtd. libvirt 9's test driver has no attach-device
// ("virDomainAttachDeviceFlags not supported by the connection driver"), so this is a qemu:///session daemon with
// disk-less TCG domains (test/helpers/libvirtd-session.ts): the XML is libvirt's own, and a start is a real QEMU start.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDevicesAttach } from '../../src/cli/devices-attach.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { LibvirtAttachments } from '../../src/relay/usbredir/libvirt-attachments.js';
import { parseLibvirtAttachments } from '../../src/relay/usbredir/redirdev.js';
import { Virsh } from '../../src/shutdown/drivers/libvirt/virsh.js';
import { haveQemuSession, startQemuSession, type QemuSession } from '../helpers/libvirtd-session.js';
import { describeWithPeers } from '../helpers/peers.js';

const d = describeWithPeers({ 'libvirtd + qemu-system-x86_64 (root, to run the session as nobody)': haveQemuSession });

/** A port nothing listens on: the agent is "away". */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const countRedirdevs = (xml: string): number => (xml.match(/<redirdev /g) ?? []).length;

// Someone else's redirdev (not ours by its alias): it must survive everything we do.
const THEIRS = (port: number): string =>
  `<redirdev bus='usb' type='tcp'><source mode='connect' host='127.0.0.1' service='${port}'>` +
  `<reconnect enabled='yes' timeout='30'/></source><protocol type='raw'/><alias name='ua-theirs'/></redirdev>`;

d('devices attach/detach against libvirtd (qemu:///session, TCG)', () => {
  let dir: string;
  let lv: QemuSession;
  let att: LibvirtAttachments;
  let agentPort: number;
  let theirPort: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'upsguard-attach-'));
    lv = await startQemuSession(dir);
    agentPort = await closedPort();
    theirPort = await closedPort();
    await lv.define('run1', { start: true, extraDevices: THEIRS(theirPort) });
    await lv.define('off1');
    att = new LibvirtAttachments(new Virsh({ uri: lv.uri, timeoutMs: 30_000 }));
  }, 60_000);
  afterAll(async () => {
    await lv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const endpoint = (): { host: string; port: number } => ({ host: '127.0.0.1', port: agentPort });

  it('attaches to a running domain live and in its config, once however often it is asked', async () => {
    const first = await att.attach('run1', 'ups1', endpoint());
    expect(first).toEqual({ vm: 'run1', device: 'ups1', changed: true, live: true, config: true });
    const again = await att.attach('run1', 'ups1', endpoint());
    expect(again.changed).toBe(false);
    for (const xml of [await lv.virsh('dumpxml', 'run1'), await lv.virsh('dumpxml', 'run1', '--inactive')]) {
      expect(countRedirdevs(xml)).toBe(2); // ours + theirs
      expect(xml).toContain(`<alias name='ua-upsguard-usbredir-ups1'/>`);
      expect(xml).toContain(`service='${agentPort}'`);
      expect(xml).toMatch(/<reconnect enabled='yes' timeout='5'\/>/);
      expect(parseLibvirtAttachments(xml).map((a) => [a.device, a.endpoint.port, a.reconnectS])).toEqual([
        ['ups1', agentPort, 5],
      ]);
    }
  });

  it('attaches to a shut-off domain in its config only, and the domain still boots while the agent is away', async () => {
    const r = await att.attach('off1', 'ups1', endpoint());
    expect(r).toEqual({ vm: 'off1', device: 'ups1', changed: true, live: false, config: true });
    expect((await lv.virsh('domstate', 'off1')).trim()).toBe('shut off');
    expect(countRedirdevs(await lv.virsh('dumpxml', 'off1', '--inactive'))).toBe(1);
    // The agent's port is closed: QEMU starts anyway because of <reconnect>.
    await lv.virsh('start', 'off1');
    expect((await lv.virsh('domstate', 'off1')).trim()).toBe('running');
    expect(await lv.virsh('dumpxml', 'off1')).toContain(`<alias name='ua-upsguard-usbredir-ups1'/>`);
  });

  it('without <reconnect> the same start fails: the failure the attachment avoids', async () => {
    const port = await closedPort();
    await lv.define('noreconn', {
      extraDevices: `<redirdev bus='usb' type='tcp'><source mode='connect' host='127.0.0.1' service='${port}'/><protocol type='raw'/></redirdev>`,
    });
    await expect(lv.virsh('start', 'noreconn')).rejects.toThrow(/Connection refused/);
    expect((await lv.virsh('domstate', 'noreconn')).trim()).toBe('shut off');
  });

  it('the booted domain connects to the agent when it returns and speaks usbredir', async () => {
    const sockets: Socket[] = [];
    let timer: NodeJS.Timeout | undefined;
    const server: Server = createServer((s) => void sockets.push(s));
    // Both run1 and off1 point at this port; QEMU retries every 5 s.
    const hello = new Promise<Buffer>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('QEMU did not connect to the returned agent in 15 s')), 15_000);
      server.once('connection', (s: Socket) => s.once('data', resolve));
    });
    try {
      await new Promise<void>((r) => server.listen(agentPort, '127.0.0.1', r));
      const first = await hello;
      // usbredir header: type (u32 LE) 0 = hello, then its length, then the 64-byte version string.
      expect(first.readUInt32LE(0)).toBe(0);
      expect(first.subarray(12, 76).toString('latin1')).toMatch(/qemu/i);
    } finally {
      clearTimeout(timer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    }
  }, 30_000);

  it('lists which VM holds which device, ignoring redirdevs that are not ours', async () => {
    const rows = await att.list();
    expect(rows.map((r) => [r.device, r.vm, r.where, r.running, r.endpoint.port])).toEqual([
      ['ups1', 'off1', 'live+config', true, agentPort],
      ['ups1', 'run1', 'live+config', true, agentPort],
    ]);
  });

  it('replaces an attachment whose endpoint changed, rather than adding a second', async () => {
    const moved = await closedPort();
    const r = await att.attach('run1', 'ups1', { host: '127.0.0.1', port: moved });
    expect(r.changed).toBe(true);
    for (const xml of [await lv.virsh('dumpxml', 'run1'), await lv.virsh('dumpxml', 'run1', '--inactive')]) {
      expect(parseLibvirtAttachments(xml).map((a) => a.endpoint.port)).toEqual([moved]);
      expect(countRedirdevs(xml)).toBe(2);
    }
  });

  it('detaches live and from the config, leaves their redirdev, and a second detach changes nothing', async () => {
    expect(await att.detach('run1', 'ups1')).toEqual({ vm: 'run1', device: 'ups1', changed: true });
    expect(await att.detach('run1', 'ups1')).toEqual({ vm: 'run1', device: 'ups1', changed: false });
    for (const xml of [await lv.virsh('dumpxml', 'run1'), await lv.virsh('dumpxml', 'run1', '--inactive')]) {
      expect(parseLibvirtAttachments(xml)).toEqual([]);
      expect(xml).toContain(`<alias name='ua-theirs'/>`);
    }
    await lv.virsh('destroy', 'off1');
    expect((await att.detach('off1', 'ups1')).changed).toBe(true);
    expect(countRedirdevs(await lv.virsh('dumpxml', 'off1', '--inactive'))).toBe(0);
  });

  it('the CLI attaches, shows the table and detaches; a missing domain is a typed error naming it', async () => {
    const lines: string[] = [];
    const out = (s: string): void => void lines.push(s);
    const common = ['--connect', lv.uri];
    expect(
      await runDevicesAttach(
        ['attach', 'dongle', '--vm', 'run1', '--agent', `127.0.0.1:${agentPort}`, ...common],
        out,
        out,
      ),
    ).toBe(0);
    expect(lines.pop()).toMatch(/^dongle attached to run1 \(127\.0\.0\.1:\d+\), now and at every start$/);
    await runDevicesAttach(['attachments', ...common], out, out);
    expect(lines[0]).toMatch(/^DEVICE\s+VM\s+PLATFORM\s+ENDPOINT\s+WHERE\s+VM STATE$/);
    expect(lines[1]).toMatch(
      new RegExp(`^dongle\\s+run1\\s+libvirt\\s+127\\.0\\.0\\.1:${agentPort}\\s+live\\+config\\s+running$`),
    );
    expect(lines).toHaveLength(2);
    lines.length = 0;
    await runDevicesAttach(['detach', 'dongle', '--vm', 'run1', ...common], out, out);
    expect(lines).toEqual(['dongle detached from run1']);
    const err = await runDevicesAttach(
      ['attach', 'dongle', '--vm', 'nosuchvm', '--agent', `127.0.0.1:${agentPort}`, ...common],
      out,
      out,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.UsbAttachFailed);
    expect((err as UpsguardError).message).toMatch(/nosuchvm/);
  });
});
