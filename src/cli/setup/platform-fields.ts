import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '../../errors.js';
import { fetchCertFingerprint } from './cert-fingerprint.js';
import { textAt, without, writeSecretFile, type Plain, type SetupDraft } from './draft.js';
import { usageError, type Prompter } from './prompt.js';

/**
 * The questions for one platform's `shutdown.drivers` entry, each kind its own function. `before` is the existing
 * entry of that kind (its values are the defaults; its secret file is kept when no new secret is given).
 */
export type PlatformKind = 'vsphere' | 'proxmox' | 'libvirt' | 'ssh';
export const PLATFORM_KINDS: readonly PlatformKind[] = ['vsphere', 'proxmox', 'libvirt', 'ssh'];

export interface FieldContext {
  readonly p: Prompter;
  readonly draft: SetupDraft;
  readonly before: Plain;
  readonly timeoutMs: number;
}

const FINGERPRINT = /^([0-9A-Fa-f]{2}:?){32}$/;

/** A secret typed or read from its flag's file goes to `<name>` in the config directory; empty keeps the old one. */
async function secretFile(c: FieldContext, flag: string, text: string, key: string, file: string): Promise<string> {
  const kept = textAt(c.before, key);
  const keep = kept !== undefined && existsSync(resolve(c.draft.dir, kept));
  const secret = await c.p.secret(flag, text, keep);
  if (secret === null) return kept!;
  return writeSecretFile(c.draft, file, secret);
}

/** The certificate pinned: a given fingerprint, insecure, or (on a terminal) the one the endpoint shows, confirmed. */
async function pin(
  c: FieldContext,
  url: string,
  fingerprintFlag: string,
  insecureFlag: string,
  key: string,
): Promise<Plain> {
  if (c.p.has(insecureFlag)) return { insecure: true };
  const given = c.p.has(fingerprintFlag) ? await c.p.ask({ flag: fingerprintFlag, text: 'fingerprint' }) : undefined;
  if (given !== undefined) {
    if (!FINGERPRINT.test(given)) throw usageError(`--${fingerprintFlag}: expected 32 hex bytes, colons optional`);
    return { [key]: given };
  }
  const kept = textAt(c.before, key);
  if (!c.p.interactive) {
    if (kept !== undefined) return { [key]: kept };
    if (c.before.insecure === true) return { insecure: true };
    throw usageError(`missing --${fingerprintFlag} or --${insecureFlag} (how to trust ${url})`);
  }
  let shown: string;
  try {
    shown = await fetchCertFingerprint(url, c.timeoutMs);
  } catch (e) {
    throw usageError(`cannot reach ${url} to read its certificate: ${errorMessage(e)}`);
  }
  if (kept !== undefined && kept.replace(/:/g, '').toLowerCase() === shown.replace(/:/g, '').toLowerCase()) {
    return { [key]: kept };
  }
  c.p.say(`  ${url} presents a certificate with SHA-256 fingerprint`);
  c.p.say(`  ${shown}`);
  if (await c.p.yesNo(`${fingerprintFlag}-accept`, 'Is that the one its console shows (pin it)?', true)) {
    return { [key]: shown };
  }
  throw usageError(`the certificate of ${url} was not accepted; give --${fingerprintFlag}`);
}

export async function vsphereFields(c: FieldContext): Promise<Plain> {
  const url = await c.p.ask({
    flag: 'vsphere-url',
    text: 'vCenter or ESXi address (https://HOST[/sdk])',
    default: textAt(c.before, 'url'),
    check: (v) => (/^https:\/\/[^/\s]+(\/sdk)?\/?$/.test(v) ? null : 'expected https://HOST[:PORT][/sdk]'),
  });
  const username = await c.p.ask({ flag: 'vsphere-user', text: 'User name', default: textAt(c.before, 'username') });
  const passwordFile = await secretFile(c, 'vsphere-password-file', 'Password', 'password_file', 'vsphere.password');
  const trust = await pin(c, url, 'vsphere-thumbprint', 'vsphere-insecure', 'thumbprint_sha256');
  const rest = without(c.before, ['thumbprint_sha256', 'ca_file', 'insecure', 'password', 'password_env']);
  return {
    ...rest,
    name: textAt(c.before, 'name') ?? 'vsphere',
    kind: 'vsphere',
    url,
    username,
    password_file: passwordFile,
    ...trust,
  };
}

export async function proxmoxFields(c: FieldContext): Promise<Plain> {
  const url = await c.p.ask({
    flag: 'proxmox-url',
    text: 'Proxmox VE node (https://HOST:8006)',
    default: textAt(c.before, 'url'),
    check: (v) => (/^https:\/\/[^/]+$/.test(v) ? null : 'expected https://HOST[:PORT]'),
  });
  const tokenId = await c.p.ask({
    flag: 'proxmox-token-id',
    text: 'API token id (USER@REALM!TOKENID)',
    default: textAt(c.before, 'token_id'),
    check: (v) => (/^[^@\s]+@[^!\s]+![A-Za-z0-9_.-]+$/.test(v) ? null : 'expected USER@REALM!TOKENID'),
  });
  const tokenFile = await secretFile(c, 'proxmox-token-file', 'API token secret', 'token_file', 'proxmox.token');
  const trust = await pin(c, url, 'proxmox-fingerprint', 'proxmox-insecure', 'fingerprint_sha256');
  const rest = without(c.before, ['fingerprint_sha256', 'ca_file', 'insecure', 'token', 'token_env']);
  return {
    ...rest,
    name: textAt(c.before, 'name') ?? 'proxmox',
    kind: 'proxmox',
    url,
    token_id: tokenId,
    token_file: tokenFile,
    ...trust,
  };
}

export async function libvirtFields(c: FieldContext, sshHosts: readonly string[]): Promise<Plain> {
  const uri = await c.p.ask({
    flag: 'libvirt-uri',
    text: 'libvirt URI (qemu:///system, qemu+ssh://root@kvm1/system)',
    default: textAt(c.before, 'uri') ?? 'qemu:///system',
  });
  const host = await c.p.ask({
    flag: 'libvirt-host',
    text: `The SSH host its domains run on${sshHosts.length > 0 ? ` (${sshHosts.join(', ')})` : ''}; empty: none`,
    default: textAt(c.before, 'host') ?? '',
    check: (v) => (v === '' || sshHosts.includes(v) ? null : `one of the SSH hosts: ${sshHosts.join(', ') || 'none'}`),
  });
  const entry: Plain = { ...c.before, name: textAt(c.before, 'name') ?? 'libvirt', kind: 'libvirt', uri };
  delete entry.host;
  delete entry.host_ssh;
  if (host !== '') Object.assign(entry, { host, host_ssh: 'ssh' });
  return entry;
}

const SSH_HOST = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(?:([^@\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/;

/** `NAME=USER@ADDRESS[:PORT]` as typed, to a hosts entry; null when it is not that. */
export function parseSshHost(text: string): Plain | null {
  const m = SSH_HOST.exec(text.trim());
  if (!m) return null;
  const port = m[4] === undefined ? 22 : Number(m[4]);
  if (port < 1 || port > 65_535) return null;
  return { name: m[1]!, address: m[3]!.replace(/^\[|\]$/g, ''), port, user: m[2] ?? 'root' };
}

function sshHostText(h: unknown): string | undefined {
  const name = textAt(h, 'name');
  const address = textAt(h, 'address');
  if (name === undefined || address === undefined) return undefined;
  return `${name}=${textAt(h, 'user') ?? 'root'}@${address}:${textAt(h, 'port') ?? '22'}`;
}

export async function sshFields(c: FieldContext): Promise<Plain> {
  const beforeHosts = Array.isArray(c.before.hosts) ? (c.before.hosts as unknown[]) : [];
  let typed: string[];
  if (c.p.all('ssh-host').length > 0) typed = [...c.p.all('ssh-host')];
  else {
    const answer = await c.p.ask({
      flag: 'ssh-host',
      text: 'SSH hosts to power off (NAME=USER@ADDRESS[:PORT], comma-separated)',
      default:
        beforeHosts
          .map(sshHostText)
          .filter((x) => x !== undefined)
          .join(',') || undefined,
      check: (v) =>
        v.split(',').every((h) => parseSshHost(h) !== null)
          ? null
          : 'expected NAME=USER@ADDRESS[:PORT], comma-separated',
    });
    typed = answer.split(',');
  }
  const parsed = typed.map((t) => {
    const h = parseSshHost(t);
    if (h === null) throw usageError(`--ssh-host: ${JSON.stringify(t)} is not NAME=USER@ADDRESS[:PORT]`);
    return h;
  });
  const first = beforeHosts[0];
  const keyFile = await c.p.ask({
    flag: 'ssh-key',
    text: 'Private key file upsguard logs in with',
    default: textAt(first, 'key_file'),
    check: (v) => (existsSync(resolve(c.draft.dir, v)) ? null : `${v} does not exist`),
  });
  const knownHosts = await c.p.ask({
    flag: 'ssh-known-hosts',
    text: "known_hosts file pinning the hosts' keys",
    default: textAt(first, 'known_hosts'),
    check: (v) => (existsSync(resolve(c.draft.dir, v)) ? null : `${v} does not exist`),
  });
  const command = await c.p.ask({
    flag: 'ssh-command',
    text: 'Power-off command',
    default: textAt(first, 'command') ?? 'sudo /sbin/poweroff',
  });
  const hosts = parsed.map((h) => {
    const old = beforeHosts.find((b) => textAt(b, 'name') === h.name);
    const kept: Plain = typeof old === 'object' && old !== null ? { ...(old as Plain) } : {};
    delete kept.host_key_sha256;
    return { ...kept, ...h, key_file: keyFile, known_hosts: knownHosts, command };
  });
  return { ...c.before, name: textAt(c.before, 'name') ?? 'ssh', kind: 'ssh', hosts };
}
