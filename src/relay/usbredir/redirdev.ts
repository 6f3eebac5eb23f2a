import { isIP } from 'node:net';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { childrenNamed, escapeXmlAttribute, parseXml, type XmlElement } from './xml-lite.js';

/**
 * What a VM needs to reach one exported device: the relay agent's usbredir listener for it. libvirt and Proxmox both
 * end in QEMU's `-chardev socket` + `-device usb-redir`; the builders and parsers here are the two spellings of it.
 */

/**
 * TLS on the chardev. libvirt's chardev TLS (`<source tls='yes'>`) is x509 only: it uses the host's qemu.conf
 * `chardev_tls_x509_cert_dir` and has no PSK form, so `psk` is for Proxmox (QEMU `tls-creds-psk`) alone.
 */
export type RedirTls =
  | {
      readonly kind: 'x509';
      /** For Proxmox: the `tls-creds-x509` dir (ca-cert.pem …); libvirt uses qemu.conf. */ readonly dir?: string;
    }
  | {
      readonly kind: 'psk';
      /** The `tls-creds-psk` dir holding keys.psk (`identity:hexkey`). */ readonly dir: string;
      readonly identity: string;
    };

export interface RedirEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls?: RedirTls;
}

/** One of our attachments as found in a VM's definition. */
export interface FoundAttachment {
  readonly device: string;
  readonly endpoint: RedirEndpoint;
  /** Seconds between QEMU's reconnect attempts; 0 or undefined: none (the VM cannot start while the agent is away). */
  readonly reconnectS?: number;
}

/** How often QEMU retries a lost or refused agent connection: what lets the VM boot while the device is away. */
export const DEFAULT_RECONNECT_S = 5;

/** Our mark on what we add: libvirt user aliases must start with `ua-`; QEMU ids take the part after it. */
export const QEMU_ID_PREFIX = 'upsguard-usbredir-';
export const LIBVIRT_ALIAS_PREFIX = `ua-${QEMU_ID_PREFIX}`;

// libvirt user aliases allow [A-Za-z0-9_-] only, so the device names that can be attached are that (no dot).
const DEVICE_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?$/;

export function checkDeviceName(device: string): string {
  if (!DEVICE_NAME.test(device))
    throw new UpsguardError(
      ErrorCode.UsbAttachFailed,
      `device name '${device.slice(0, 80)}' cannot be attached: use 1-64 letters, digits, dash or underscore (libvirt aliases allow no dot)`,
    );
  return device;
}

export function checkEndpoint(e: RedirEndpoint): RedirEndpoint {
  if (isIP(e.host) === 0 && !HOST_NAME.test(e.host))
    throw new UpsguardError(
      ErrorCode.UsbAttachFailed,
      `agent host '${e.host.slice(0, 80)}' is not an IP address or a host name`,
    );
  if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535)
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `agent port ${e.port} is not 1-65535`);
  return e;
}

/** `HOST:PORT` or `[V6]:PORT` → endpoint (no TLS). */
export function parseAgentAddress(text: string): RedirEndpoint {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:]+):(\d{1,5})$/.exec(text);
  if (!m)
    throw new UpsguardError(ErrorCode.CliUsage, `--agent '${text.slice(0, 80)}' is not HOST:PORT (or [IPv6]:PORT)`);
  return checkEndpoint({ host: m[1]!, port: Number(m[2]) });
}

export function formatEndpoint(e: RedirEndpoint): string {
  const host = isIP(e.host) === 6 ? `[${e.host}]` : e.host;
  return `${host}:${e.port}${e.tls ? ` (tls ${e.tls.kind})` : ''}`;
}

/**
 * The `<redirdev>` for `virsh attach-device`. `<reconnect>` is the part that matters for the outage story: without it
 * QEMU refuses to start a domain whose agent does not answer ("Failed to connect … Connection refused"); with it the
 * domain starts, and QEMU connects when the agent (and the device) return.
 */
export function libvirtRedirdevXml(device: string, e: RedirEndpoint, reconnectS = DEFAULT_RECONNECT_S): string {
  checkDeviceName(device);
  checkEndpoint(e);
  if (e.tls?.kind === 'psk')
    throw new UpsguardError(
      ErrorCode.UsbAttachFailed,
      `libvirt cannot attach ${device} with TLS-PSK: its chardev TLS is x509 only (qemu.conf chardev_tls_x509_cert_dir); use plain TCP on a management network or x509`,
    );
  if (!Number.isInteger(reconnectS) || reconnectS < 1 || reconnectS > 3600)
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `reconnect interval ${reconnectS} s is not 1-3600`);
  const tls = e.tls?.kind === 'x509' ? ` tls='yes'` : '';
  return [
    `<redirdev bus='usb' type='tcp'>`,
    `  <source mode='connect' host='${escapeXmlAttribute(e.host)}' service='${e.port}'${tls}>`,
    `    <reconnect enabled='yes' timeout='${reconnectS}'/>`,
    `  </source>`,
    `  <protocol type='raw'/>`,
    `  <alias name='${LIBVIRT_ALIAS_PREFIX}${device}'/>`,
    `</redirdev>`,
    '',
  ].join('\n');
}

/** One of our redirdevs in a domain, with the element's text exactly as libvirt printed it (what detach needs). */
export interface LibvirtAttachment extends FoundAttachment {
  readonly elementXml: string;
}

/**
 * Our redirdevs in a domain's XML: `/domain/devices/redirdev` whose alias carries our prefix. Anything elsewhere (an
 * application's <metadata>, a comment) is not a device and is not looked at; redirdevs of others are left alone.
 */
export function parseLibvirtAttachments(xml: string, what = 'domain XML'): LibvirtAttachment[] {
  const root = parseXml(xml, what);
  if (root.name !== 'domain')
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `${what}: the root element is <${root.name}>, not <domain>`);
  const found: LibvirtAttachment[] = [];
  for (const devices of childrenNamed(root, 'devices')) {
    for (const rd of childrenNamed(devices, 'redirdev')) {
      const attachment = ourRedirdev(rd, xml);
      if (attachment) found.push(attachment);
    }
  }
  return found;
}

function ourRedirdev(rd: XmlElement, xml: string): LibvirtAttachment | undefined {
  const alias = childrenNamed(rd, 'alias')[0]?.attributes.get('name') ?? '';
  if (!alias.startsWith(LIBVIRT_ALIAS_PREFIX)) return undefined;
  const device = alias.slice(LIBVIRT_ALIAS_PREFIX.length);
  const source = childrenNamed(rd, 'source')[0];
  const port = Number(source?.attributes.get('service'));
  const host = source?.attributes.get('host') ?? '';
  const reconnect = source === undefined ? undefined : childrenNamed(source, 'reconnect')[0];
  const timeout = Number(reconnect?.attributes.get('timeout'));
  const reconnectS = reconnect?.attributes.get('enabled') === 'yes' && Number.isFinite(timeout) ? timeout : undefined;
  return {
    device,
    endpoint: {
      host,
      port: Number.isInteger(port) ? port : 0,
      ...(source?.attributes.get('tls') === 'yes' ? { tls: { kind: 'x509' as const } } : {}),
    },
    ...(reconnectS === undefined ? {} : { reconnectS }),
    elementXml: xml.slice(rd.start, rd.end),
  };
}
