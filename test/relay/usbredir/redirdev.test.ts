import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import {
  parseProxmoxAttachments,
  proxmoxArgsFragment,
  splitArgs,
  withProxmoxAttachment,
  withoutProxmoxAttachment,
} from '../../../src/relay/usbredir/proxmox-args.js';
import {
  libvirtRedirdevXml,
  parseAgentAddress,
  parseLibvirtAttachments,
} from '../../../src/relay/usbredir/redirdev.js';
import { parseXml } from '../../../src/relay/usbredir/xml-lite.js';

// A running domain's XML as libvirt 9.0 printed it here (virsh dumpxml, trimmed of the lines that do not matter),
// with our redirdev after attach-device: libvirt has added tls='no' and the USB address.
const LIVE_DOMAIN = `<domain type='qemu' id='1'>
  <name>vm1</name>
  <uuid>0f7c2a7e-5c1d-4e0e-9c0a-2b8f5f6d1a11</uuid>
  <metadata>
    <app:note xmlns:app="http://example.org/app"><redirdev><alias name='ua-upsguard-usbredir-fake'/></redirdev></app:note>
  </metadata>
  <description>a &lt;redirdev&gt; in text &amp; more</description>
  <os>
    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' index='0' model='qemu-xhci'>
      <alias name='usb'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </controller>
    <!-- <redirdev><alias name='ua-upsguard-usbredir-commented'/></redirdev> -->
    <redirdev bus='usb' type='tcp'>
      <source mode='connect' host='127.0.0.1' service='4000' tls='no'>
        <reconnect enabled='yes' timeout='5'/>
      </source>
      <protocol type='raw'/>
      <alias name='ua-upsguard-usbredir-ups1'/>
      <address type='usb' bus='0' port='1'/>
    </redirdev>
    <redirdev bus='usb' type='spicevmc'>
      <alias name='redir0'/>
      <address type='usb' bus='0' port='2'/>
    </redirdev>
  </devices>
</domain>
`;

const deviceName = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const ipv4 = fc.ipV4();
const port = fc.integer({ min: 1, max: 65535 });
const reconnect = fc.integer({ min: 1, max: 3600 });

describe('libvirt redirdev', () => {
  it('finds only our redirdev under /domain/devices, with the element as libvirt printed it', () => {
    const found = parseLibvirtAttachments(LIVE_DOMAIN);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ device: 'ups1', endpoint: { host: '127.0.0.1', port: 4000 }, reconnectS: 5 });
    expect(found[0]!.elementXml).toMatch(/^<redirdev bus='usb' type='tcp'>[\s\S]*<\/redirdev>$/);
    expect(found[0]!.elementXml).toContain(`<address type='usb' bus='0' port='1'/>`);
  });

  it('builds the redirdev with reconnect, our alias and TLS x509 when asked; refuses PSK', () => {
    const xml = libvirtRedirdevXml('ups1', { host: '10.0.0.5', port: 4000, tls: { kind: 'x509' } }, 7);
    expect(xml).toContain(`<source mode='connect' host='10.0.0.5' service='4000' tls='yes'>`);
    expect(xml).toContain(`<reconnect enabled='yes' timeout='7'/>`);
    expect(xml).toContain(`<alias name='ua-upsguard-usbredir-ups1'/>`);
    expect(() =>
      libvirtRedirdevXml('ups1', { host: '10.0.0.5', port: 4000, tls: { kind: 'psk', dir: '/x', identity: 'a' } }),
    ).toThrow(/x509 only/);
    expect(() => libvirtRedirdevXml('ups.1', { host: '10.0.0.5', port: 4000 })).toThrow(/no dot/);
    expect(() => libvirtRedirdevXml('ups1', { host: "a' onload='x", port: 4000 })).toThrow(UpsguardError);
    expect(() => libvirtRedirdevXml('ups1', { host: 'h', port: 70000 })).toThrow(/1-65535/);
  });

  it('round-trips: what we build, inside any domain among other devices, parses back to what we asked for', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(deviceName, ipv4, port, reconnect, fc.boolean()), {
          minLength: 0,
          maxLength: 5,
          selector: (t) => t[0],
        }),
        (items) => {
          const devices = items
            .map(([d, h, p, r, tls]) =>
              libvirtRedirdevXml(d, { host: h, port: p, ...(tls ? { tls: { kind: 'x509' as const } } : {}) }, r),
            )
            .join(`<disk type='file'><source file='/a&amp;b'/></disk>\n`);
          const xml = `<?xml version="1.0"?>\n<domain type='kvm'><name>x</name><devices>${devices}</devices></domain>`;
          const found = parseLibvirtAttachments(xml);
          expect(
            found.map((f) => [f.device, f.endpoint.host, f.endpoint.port, f.reconnectS, f.endpoint.tls?.kind]),
          ).toEqual(items.map(([d, h, p, r, tls]) => [d, h, p, r, tls ? 'x509' : undefined]));
          for (const f of found) expect(parseXml(f.elementXml, 'element').name).toBe('redirdev');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('any text, and any cut or mutation of a real domain, is parsed or refused with a typed error', () => {
    const typedOrOk = (text: string): void => {
      try {
        parseLibvirtAttachments(text);
      } catch (e) {
        expect(e).toBeInstanceOf(UpsguardError);
        expect((e as UpsguardError).code).toBe(ErrorCode.UsbAttachFailed);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 400 }), typedOrOk), { numRuns: 2000 });
    fc.assert(
      fc.property(
        fc.nat(LIVE_DOMAIN.length),
        fc.nat(LIVE_DOMAIN.length),
        fc.string({ maxLength: 8 }),
        (a, b, insert) => {
          const [from, to] = a < b ? [a, b] : [b, a];
          typedOrOk(LIVE_DOMAIN.slice(0, from) + insert + LIVE_DOMAIN.slice(to));
          typedOrOk(LIVE_DOMAIN.slice(0, from));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('refuses DOCTYPE, unbalanced tags and undefined entities, naming the offset', () => {
    expect(() => parseXml('<!DOCTYPE d [<!ENTITY x "y">]><domain/>', 'd')).toThrow(/DOCTYPE.*offset 0/);
    expect(() => parseXml('<domain><devices></domain>', 'd')).toThrow(/does not close <devices>/);
    expect(() => parseXml(`<domain a='&foo;'/>`, 'd')).toThrow(/unknown entity/);
    expect(() => parseXml('<a/><b/>', 'd')).toThrow(/second root/);
    expect(() => parseXml('<a>'.repeat(200), 'd')).toThrow(/deeper than 128/);
    expect(parseXml(`<a b='&lt;&#x41;&#66;'/>`, 'd').attributes.get('b')).toBe('<AB');
  });

  it('reads the agent address as HOST:PORT or [IPv6]:PORT', () => {
    expect(parseAgentAddress('10.0.0.5:4000')).toEqual({ host: '10.0.0.5', port: 4000 });
    expect(parseAgentAddress('[fd00::5]:4000')).toEqual({ host: 'fd00::5', port: 4000 });
    expect(parseAgentAddress('agent.lan:1')).toEqual({ host: 'agent.lan', port: 1 });
    for (const bad of ['10.0.0.5', 'x:0', 'a b:1', ':1', 'h:99999'])
      expect(() => parseAgentAddress(bad)).toThrow(UpsguardError);
  });
});

// Owner args as people write them: options, quoted values with spaces, odd spacing.
const ownerWord = fc.oneof(
  fc.constantFrom('-cpu', 'host,+kvm_pv_unhalt', '-device', 'virtio-rng-pci', '-smbios', 'type=1,serial=abc'),
  fc.stringMatching(/^[A-Za-z0-9=,.:/_-]{1,12}$/),
  fc.stringMatching(/^[A-Za-z0-9 =,._-]{0,12}$/).map((s) => `'${s}'`),
  fc.stringMatching(/^[A-Za-z0-9 =,._-]{0,12}$/).map((s) => `"${s}"`),
);
const ownerArgs = fc.array(fc.tuple(ownerWord, fc.constantFrom(' ', '  ', '\t', ' \n ')), { maxLength: 8 }).map((ws) =>
  ws
    .map(([w, s]) => w + s)
    .join('')
    .trimEnd(),
);

describe('Proxmox args', () => {
  it('builds the chardev with reconnect and the usb-redir on it; PSK as a tls-creds-psk object', () => {
    expect(proxmoxArgsFragment('ups1', { host: '10.0.0.5', port: 4000 })).toBe(
      '-chardev socket,id=upsguard-usbredir-ups1,host=10.0.0.5,port=4000,reconnect=5 ' +
        '-device usb-redir,chardev=upsguard-usbredir-ups1,id=upsguard-usbredir-ups1',
    );
    const psk = proxmoxArgsFragment('ups1', {
      host: '10.0.0.5',
      port: 4001,
      tls: { kind: 'psk', dir: '/etc/upsguard/psk dir', identity: 'pve1' },
    });
    expect(splitArgs(psk).map((t) => t.value)).toEqual([
      '-object',
      'tls-creds-psk,id=upsguard-usbredir-ups1-tls,endpoint=client,dir=/etc/upsguard/psk dir,username=pve1',
      '-chardev',
      'socket,id=upsguard-usbredir-ups1,host=10.0.0.5,port=4001,reconnect=5,tls-creds=upsguard-usbredir-ups1-tls',
      '-device',
      'usb-redir,chardev=upsguard-usbredir-ups1,id=upsguard-usbredir-ups1',
    ]);
    expect(parseProxmoxAttachments(psk)).toEqual([
      {
        device: 'ups1',
        endpoint: {
          host: '10.0.0.5',
          port: 4001,
          tls: { kind: 'psk', dir: '/etc/upsguard/psk dir', identity: 'pve1' },
        },
        reconnectS: 5,
      },
    ]);
    expect(() => proxmoxArgsFragment('ups1', { host: 'h', port: 1, tls: { kind: 'x509' } })).toThrow(/credentials dir/);
  });

  it('keeps the owner args byte for byte, attaches once, and detaching gives the owner args back', () => {
    fc.assert(
      fc.property(ownerArgs, deviceName, ipv4, port, port, (owner, device, host, p1, p2) => {
        if (/(^|\s)-device$/.test(owner)) {
          expect(() => withProxmoxAttachment(owner, device, { host, port: p1 })).toThrow(/end with -device/);
          return;
        }
        const once = withProxmoxAttachment(owner, device, { host, port: p1 });
        expect(once.startsWith(owner)).toBe(true);
        // A second attach with a new endpoint replaces; the same one changes nothing.
        const moved = withProxmoxAttachment(once, device, { host, port: p2 });
        expect(withProxmoxAttachment(moved, device, { host, port: p2 })).toBe(moved);
        expect(
          parseProxmoxAttachments(moved)
            .filter((a) => a.device === device)
            .map((a) => a.endpoint.port),
        ).toEqual([p2]);
        expect(withoutProxmoxAttachment(moved, device)).toBe(owner);
        expect(withoutProxmoxAttachment(owner, device)).toBe(owner);
      }),
      { numRuns: 1000 },
    );
  });

  it("another device's attachment, and ids that merely start like ours, are left alone", () => {
    const args = withProxmoxAttachment(
      withProxmoxAttachment('-device usb-redir,chardev=upsguard-usbredir-ups10,id=x', 'ups1', { host: 'a', port: 1 }),
      'dongle',
      { host: 'b', port: 2 },
    );
    expect(parseProxmoxAttachments(args).map((a) => a.device)).toEqual(['ups1', 'dongle']);
    expect(withoutProxmoxAttachment(args, 'ups1')).toBe(
      '-device usb-redir,chardev=upsguard-usbredir-ups10,id=x ' + proxmoxArgsFragment('dongle', { host: 'b', port: 2 }),
    );
  });

  it('any text is split or refused with a typed error', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        try {
          parseProxmoxAttachments(s);
          withoutProxmoxAttachment(s, 'ups1');
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
          expect((e as UpsguardError).code).toBe(ErrorCode.UsbAttachFailed);
        }
      }),
      { numRuns: 3000 },
    );
    expect(() => splitArgs(`-a 'open`)).toThrow(/unclosed '/);
  });
});
