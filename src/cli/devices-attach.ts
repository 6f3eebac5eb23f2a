import { readFileSync } from 'node:fs';
import { ErrorCode, UpsguardError } from '../errors.js';
import type { AttachmentRow, VmAttachments } from '../relay/usbredir/attachments.js';
import { LibvirtAttachments } from '../relay/usbredir/libvirt-attachments.js';
import { ProxmoxAttachments } from '../relay/usbredir/proxmox-attachments.js';
import { pveTicketCaller } from '../relay/usbredir/pve-ticket.js';
import {
  DEFAULT_RECONNECT_S,
  formatEndpoint,
  parseAgentAddress,
  type RedirEndpoint,
  type RedirTls,
} from '../relay/usbredir/redirdev.js';
import { Virsh } from '../shutdown/drivers/libvirt/virsh.js';
import { pveRequest } from '../shutdown/drivers/proxmox/http.js';
import type { PveCaller } from '../shutdown/drivers/proxmox/restore.js';
import { parseOptions } from './args.js';
import { DEVICES_ATTACH_USAGE } from './usage.js';

const VALUES = [
  'vm',
  'agent',
  'platform',
  'connect',
  'reconnect-s',
  'tls',
  'tls-dir',
  'psk-identity',
  'proxmox-url',
  'token-id',
  'token-file',
  'user',
  'password-file',
  'fingerprint',
  'ca-file',
  'timeout-ms',
] as const;

type Options = Record<string, string | true>;

const str = (o: Options, name: string): string | undefined => (typeof o[name] === 'string' ? o[name] : undefined);

function required(o: Options, name: string, what: string): string {
  const v = str(o, name);
  if (v === undefined) throw new UpsguardError(ErrorCode.CliUsage, `${what} needs --${name}`);
  return v;
}

function timeoutOf(o: Options): number {
  const t = Number(str(o, 'timeout-ms') ?? 30_000);
  if (!Number.isInteger(t) || t < 100 || t > 600_000)
    throw new UpsguardError(ErrorCode.CliUsage, '--timeout-ms must be 100-600000');
  return t;
}

/** The platform the options name, as the one interface both offer. */
export async function attachmentsFor(o: Options): Promise<VmAttachments> {
  const platform = str(o, 'platform') ?? 'libvirt';
  if (platform === 'libvirt')
    return new LibvirtAttachments(new Virsh({ uri: str(o, 'connect') ?? 'qemu:///system', timeoutMs: timeoutOf(o) }));
  if (platform !== 'proxmox')
    throw new UpsguardError(ErrorCode.CliUsage, `--platform must be libvirt or proxmox, not '${platform}'`);
  const caFile = str(o, 'ca-file');
  const tls = {
    baseUrl: required(o, 'proxmox-url', '--platform proxmox'),
    fingerprintSha256: str(o, 'fingerprint'),
    ca: caFile === undefined ? undefined : readFileSync(caFile, 'utf8'),
    insecure: o.insecure === true,
    timeoutMs: timeoutOf(o),
  };
  const secret = (file: string, what: string): string => {
    const v = readFileSync(file, 'utf8').trim();
    if (v === '') throw new UpsguardError(ErrorCode.CliUsage, `${file} is empty: it should hold the ${what}`);
    return v;
  };
  const user = str(o, 'user');
  if (user !== undefined) {
    const password = secret(required(o, 'password-file', '--user'), 'password');
    return new ProxmoxAttachments(await pveTicketCaller({ ...tls, username: user, password }));
  }
  const http = {
    ...tls,
    tokenId: required(o, 'token-id', '--platform proxmox without --user'),
    token: secret(required(o, 'token-file', '--platform proxmox without --user'), "token's secret"),
  };
  const call: PveCaller = (method, path, params) => pveRequest(http, method, path, params);
  return new ProxmoxAttachments(call);
}

function endpointOf(o: Options): RedirEndpoint {
  const base = parseAgentAddress(required(o, 'agent', 'attach'));
  const kind = str(o, 'tls');
  if (kind === undefined) return base;
  const dir = str(o, 'tls-dir');
  let tls: RedirTls;
  if (kind === 'x509') tls = dir === undefined ? { kind } : { kind, dir };
  else if (kind === 'psk')
    tls = { kind, dir: required(o, 'tls-dir', '--tls psk'), identity: required(o, 'psk-identity', '--tls psk') };
  else throw new UpsguardError(ErrorCode.CliUsage, `--tls must be x509 or psk, not '${kind}'`);
  return { ...base, tls };
}

function reconnectOf(o: Options): number {
  const r = Number(str(o, 'reconnect-s') ?? DEFAULT_RECONNECT_S);
  if (!Number.isInteger(r) || r < 1 || r > 3600)
    throw new UpsguardError(ErrorCode.CliUsage, '--reconnect-s must be 1-3600');
  return r;
}

/** The table: one line per attachment, columns as wide as their widest value. */
export function formatAttachmentTable(rows: readonly AttachmentRow[]): string[] {
  if (rows.length === 0) return ['no attachments'];
  const cells = [
    ['DEVICE', 'VM', 'PLATFORM', 'ENDPOINT', 'WHERE', 'VM STATE'],
    ...rows.map((r) => [
      r.device,
      r.vm,
      r.platform,
      formatEndpoint(r.endpoint) +
        (r.reconnectS === undefined ? ' (no reconnect: the VM cannot boot without the agent)' : ''),
      r.where,
      r.running ? 'running' : 'shut off',
    ]),
  ];
  const widths = cells[0]!.map((_, c) => Math.max(...cells.map((row) => row[c]!.length)));
  return cells.map((row) => row.map((v, c) => (c === row.length - 1 ? v : v.padEnd(widths[c]!))).join('  '));
}

/**
 * `upsguard devices attach|detach|attachments …`. `args` starts with the subcommand. Returns the exit code; usage
 * and platform failures are thrown as typed errors for the dispatcher to print.
 */
export async function runDevicesAttach(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const [sub, ...rest] = args;
  const { options, positional } = parseOptions(rest, { values: VALUES, flags: ['insecure', 'json'] });
  const platform = await attachmentsFor(options);
  if (sub === 'attachments') {
    if (positional.length > 0) throw new UpsguardError(ErrorCode.CliUsage, `unexpected '${positional[0]}'`);
    const rows = await platform.list();
    if (options.json === true) out(JSON.stringify(rows, null, 2));
    else for (const line of formatAttachmentTable(rows)) out(line);
    return 0;
  }
  if (sub !== 'attach' && sub !== 'detach')
    throw new UpsguardError(ErrorCode.CliUsage, `devices: unknown subcommand '${sub ?? ''}'\n${DEVICES_ATTACH_USAGE}`);
  if (positional.length !== 1) throw new UpsguardError(ErrorCode.CliUsage, `devices ${sub} takes one DEVICE`);
  const device = positional[0]!;
  const vm = required(options, 'vm', `devices ${sub}`);
  if (options.insecure === true) err('upsguard: Proxmox certificate verification is OFF (--insecure)');
  if (sub === 'attach') {
    const endpoint = endpointOf(options);
    const r = await platform.attach(vm, device, endpoint, reconnectOf(options));
    if (options.json === true) out(JSON.stringify(r));
    else if (!r.changed) out(`${device} was already attached to ${vm} (${formatEndpoint(endpoint)})`);
    else
      out(
        `${device} attached to ${vm} (${formatEndpoint(endpoint)}), ${r.live ? 'now and at every start' : 'from its next start'}`,
      );
    return 0;
  }
  const r = await platform.detach(vm, device);
  if (options.json === true) out(JSON.stringify(r));
  else out(r.changed ? `${device} detached from ${vm}` : `${device} was not attached to ${vm}`);
  return 0;
}
