import { ErrorCode, UpsguardError } from '../../errors.js';
import {
  DEFAULT_RECONNECT_S,
  QEMU_ID_PREFIX,
  checkDeviceName,
  checkEndpoint,
  type FoundAttachment,
  type RedirEndpoint,
  type RedirTls,
} from './redirdev.js';

/**
 * Proxmox has no redirdev: a VM's extra QEMU arguments (config key `args`, split by qemu-server the way a shell
 * splits words) carry `-chardev socket,… -device usb-redir,…`. The owner may have args of their own; ours are
 * found by their ids (`upsguard-usbredir-<device>`, its TLS object `…-tls`), and only those are ever changed, the
 * rest of the text left byte for byte.
 */

export const PROXMOX_ARGS_LIMIT = 64 * 1024;

interface ArgToken {
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

function fail(reason: string): never {
  throw new UpsguardError(ErrorCode.UsbAttachFailed, `the VM's args cannot be read: ${reason}`);
}

/** Shell-style words with their spans: '…' literal, "…" with backslash escapes, a backslash escapes outside. */
export function splitArgs(text: string): ArgToken[] {
  if (text.length > PROXMOX_ARGS_LIMIT) fail(`longer than ${PROXMOX_ARGS_LIMIT} characters`);
  const tokens: ArgToken[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let value = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      const c = text[i]!;
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) fail(`an unclosed ' at offset ${i}`);
        value += text.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        i++;
        for (;;) {
          if (i >= text.length) fail(`an unclosed " at offset ${start}`);
          const d = text[i]!;
          if (d === '"') break;
          if (d === '\\' && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
            value += text[i + 1]!;
            i += 2;
          } else {
            value += d;
            i++;
          }
        }
        i++;
      } else if (c === '\\') {
        if (i + 1 >= text.length) fail('a backslash at the end');
        value += text[i + 1]!;
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    tokens.push({ value, start, end: i });
  }
  return tokens;
}

/**
 * QEMU's `a,k=v,k2=v2` option syntax (`,,` is a literal comma): the leading bare word under `implied`, then the
 * keys. A JSON `{…}` value (QEMU ≥ 6 takes one for -device and -object) gives its string-valued members.
 */
export function parseQemuOpts(value: string, implied: string): Map<string, string> {
  const out = new Map<string, string>();
  if (value.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object')
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.set(k, v);
    } catch {
      // Not JSON after all: not one of ours, and QEMU's business to reject.
    }
    return out;
  }
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === ',') {
      if (value[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        parts.push(cur);
        cur = '';
      }
    } else cur += value[i]!;
  }
  parts.push(cur);
  parts.forEach((p, n) => {
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (n === 0) out.set(implied, p);
      else out.set(p, 'on');
    } else if (!out.has(p.slice(0, eq))) out.set(p.slice(0, eq), p.slice(eq + 1));
  });
  return out;
}

type OptionKind = 'chardev' | 'device' | 'object';
const IMPLIED: Record<OptionKind, string> = { chardev: 'backend', device: 'driver', object: 'qom-type' };

interface ParsedOption {
  readonly kind: OptionKind;
  readonly opts: Map<string, string>;
  /** From the option word's start to its value's end. */
  readonly start: number;
  readonly end: number;
}

function optionsOf(text: string): ParsedOption[] {
  const tokens = splitArgs(text);
  const out: ParsedOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const kind = /^--?(chardev|device|object)$/.exec(tokens[i]!.value)?.[1] as OptionKind | undefined;
    const value = tokens[i + 1];
    if (kind === undefined || value === undefined) continue;
    out.push({ kind, opts: parseQemuOpts(value.value, IMPLIED[kind]), start: tokens[i]!.start, end: value.end });
    i++;
  }
  return out;
}

const ids = (device: string): { base: string; tls: string } => ({
  base: `${QEMU_ID_PREFIX}${device}`,
  tls: `${QEMU_ID_PREFIX}${device}-tls`,
});

function isOurs(o: ParsedOption, device: string): boolean {
  const { base, tls } = ids(device);
  const id = o.opts.get('id');
  if (o.kind === 'object') return id === tls;
  return id === base || (o.kind === 'device' && o.opts.get('chardev') === base);
}

/** Our attachments in a VM's args: each `-chardev` with our id, with its TLS object if it names one. */
export function parseProxmoxAttachments(args: string): FoundAttachment[] {
  const options = optionsOf(args);
  const found: FoundAttachment[] = [];
  for (const o of options) {
    const id = o.opts.get('id') ?? '';
    if (o.kind !== 'chardev' || !id.startsWith(QEMU_ID_PREFIX)) continue;
    const device = id.slice(QEMU_ID_PREFIX.length);
    const port = Number(o.opts.get('port'));
    const reconnect = Number(o.opts.get('reconnect'));
    const credsId = o.opts.get('tls-creds');
    const creds =
      credsId === undefined ? undefined : options.find((x) => x.kind === 'object' && x.opts.get('id') === credsId);
    found.push({
      device,
      endpoint: {
        host: o.opts.get('host') ?? '',
        port: Number.isInteger(port) ? port : 0,
        ...(creds === undefined ? {} : { tls: tlsOf(creds.opts) }),
      },
      ...(Number.isFinite(reconnect) && reconnect > 0 ? { reconnectS: reconnect } : {}),
    });
  }
  return found;
}

function tlsOf(opts: Map<string, string>): RedirTls {
  const dir = opts.get('dir') ?? '';
  return opts.get('qom-type') === 'tls-creds-psk'
    ? { kind: 'psk', dir, identity: opts.get('username') ?? '' }
    : { kind: 'x509', ...(dir === '' ? {} : { dir }) };
}

/** `args` without our options for `device`; the owner's text is kept as it was, only our spans go. */
export function withoutProxmoxAttachment(args: string, device: string): string {
  let out = args;
  const ours = optionsOf(args)
    .filter((o) => isOurs(o, device))
    .sort((a, b) => b.start - a.start);
  for (const o of ours) {
    let start = o.start;
    let end = o.end;
    // Take the blank before it with it (or, at the very start, the blank after), so no gap is left behind.
    while (start > 0 && /\s/.test(out[start - 1]!)) start--;
    if (start === 0) while (end < out.length && /\s/.test(out[end]!)) end++;
    out = out.slice(0, start) + out.slice(end);
  }
  return out;
}

/** `args` with `device` attached once: any earlier attachment of it replaced, the owner's args untouched. */
export function withProxmoxAttachment(
  args: string,
  device: string,
  e: RedirEndpoint,
  reconnectS = DEFAULT_RECONNECT_S,
): string {
  const rest = withoutProxmoxAttachment(args, device).trimEnd();
  // Appended after a dangling `-device`, our `-chardev` would become its value (and QEMU would refuse the VM).
  const last = splitArgs(rest).at(-1)?.value;
  if (last !== undefined && /^--?(chardev|device|object)$/.test(last))
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `the VM's args end with ${last} and no value: fix them first`);
  const fragment = proxmoxArgsFragment(device, e, reconnectS);
  return rest === '' ? fragment : `${rest} ${fragment}`;
}

// A value safe in both QEMU's option syntax (commas doubled) and qemu-server's word splitting (quoted if it must be).
function word(value: string): string {
  if (/^[A-Za-z0-9_.,=:/@+-]+$/.test(value)) return value;
  if (value.includes("'"))
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `a value with a ' cannot go into args: ${value}`);
  return `'${value}'`;
}
const opt = (v: string): string => v.replace(/,/g, ',,');

/** `-chardev socket,… [-object tls-creds-…] -device usb-redir,…` for one device. */
export function proxmoxArgsFragment(device: string, e: RedirEndpoint, reconnectS = DEFAULT_RECONNECT_S): string {
  checkDeviceName(device);
  checkEndpoint(e);
  if (!Number.isInteger(reconnectS) || reconnectS < 1 || reconnectS > 3600)
    throw new UpsguardError(ErrorCode.UsbAttachFailed, `reconnect interval ${reconnectS} s is not 1-3600`);
  const { base, tls } = ids(device);
  const parts: string[] = [];
  if (e.tls !== undefined) {
    if (e.tls.dir === undefined || e.tls.dir === '')
      throw new UpsguardError(
        ErrorCode.UsbAttachFailed,
        `TLS for ${device} on Proxmox needs the credentials dir on the node`,
      );
    if (e.tls.kind === 'psk' && !/^[A-Za-z0-9_.@-]{1,64}$/.test(e.tls.identity))
      throw new UpsguardError(
        ErrorCode.UsbAttachFailed,
        `PSK identity '${e.tls.identity.slice(0, 80)}' is not 1-64 plain characters`,
      );
    const creds =
      e.tls.kind === 'psk'
        ? `tls-creds-psk,id=${tls},endpoint=client,dir=${opt(e.tls.dir)},username=${e.tls.identity}`
        : `tls-creds-x509,id=${tls},endpoint=client,dir=${opt(e.tls.dir)}`;
    parts.push('-object', word(creds));
  }
  parts.push(
    '-chardev',
    word(`socket,id=${base},host=${e.host},port=${e.port},reconnect=${reconnectS}${e.tls ? `,tls-creds=${tls}` : ''}`),
    '-device',
    word(`usb-redir,chardev=${base},id=${base}`),
  );
  return parts.join(' ');
}
