import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { parseHexKey } from '../../relay/psk.js';
import { recordedDevices } from '../../ups/sim/recorded-devices.js';
import { parseNutUrl } from '../../ups/nut/nut-url.js';
import type { HidDeviceEntry } from '../../ups/transport/hid-backend.js';
import { isMeaningfulSerial } from '../../ups/transport/device-identity.js';
import { DEFAULT_RELAY_PORT, formatRelayUrl, parseRelayUrl } from '../../ups/transport/relay-url.js';
import { usbId } from '../../util/hex.js';
import { nameRule } from '../../config/names.js';
import { isPlain, plainAt, textAt, without, writeSecretFile, type Plain, type SetupDraft } from './draft.js';
import { readSecretFile, usageError, type Prompter } from './prompt.js';
import { probeNutLogin, probeRelay } from './ups-probes.js';

export interface UpsStepDeps {
  /** This machine's hidraw devices (the local transport's backend; a test's stand-in). */
  readonly listHid: () => Promise<HidDeviceEntry[]>;
  readonly hostname: string;
  readonly timeoutMs: number;
}

const KINDS = ['usb', 'relay', 'nut', 'sim'] as const;
type Kind = (typeof KINDS)[number];
/** HID usage pages of a UPS: Power Device and Battery System. */
const UPS_USAGE_PAGES = new Set([0x84, 0x85]);
const upsName = nameRule(32);

/** Step 1: where the UPS is read. Fills draft.ups with the first `ups:` entry. */
export async function upsStep(p: Prompter, draft: SetupDraft, deps: UpsStepDeps): Promise<void> {
  const before = plainAt(draft.existing, 'ups', 0);
  const beforeSource = plainAt(before, 'source');
  const name = await p.ask({
    flag: 'ups-name',
    text: 'Name of the UPS',
    default: textAt(before, 'name') ?? 'ups',
    check: (v) => (upsName.safeParse(v).success ? null : 'letters, digits, dot, dash or underscore (1-32)'),
  });
  p.say('Where is the UPS read? usb: plugged into this machine; relay: an upsguard relay agent on the host that has');
  p.say('the cable; nut: an existing NUT server (upsd); sim: the simulator (a demo).');
  const kind = (await p.ask({
    flag: 'ups',
    text: `UPS source (${KINDS.join(', ')})`,
    default: textAt(beforeSource, 'kind') ?? 'usb',
    check: (v) => ((KINDS as readonly string[]).includes(v) ? null : `one of ${KINDS.join(', ')}`),
  })) as Kind;
  const keep = textAt(beforeSource, 'kind') === kind && isPlain(beforeSource) ? beforeSource : {};
  let source: Plain;
  switch (kind) {
    case 'usb':
      source = await usbSource(p, deps);
      break;
    case 'relay':
      source = await relaySource(p, draft, name, keep, deps);
      break;
    case 'nut':
      source = await nutSource(p, draft, name, keep, deps);
      break;
    case 'sim':
      source = await simSource(p, keep);
      break;
  }
  // Other keys of an existing entry (delays) stay; its description only while the source is of the same kind.
  const rest = isPlain(before)
    ? textAt(beforeSource, 'kind') === kind
      ? before
      : without(before, ['description'])
    : {};
  draft.ups = { ...rest, name, source };
}

async function usbSource(p: Prompter, deps: UpsStepDeps): Promise<Plain> {
  const all = await deps.listHid();
  const upses = all.filter((d) => d.usagePage === undefined || UPS_USAGE_PAGES.has(d.usagePage));
  if (upses.length === 0) {
    throw usageError("no UPS found on this machine's USB (hidraw); plug it in, or choose --ups relay, nut or sim");
  }
  p.say("UPSes on this machine's USB:");
  upses.forEach((d, i) => {
    const what = [d.manufacturer, d.product].filter(Boolean).join(' ') || '-';
    p.say(`  ${i + 1}. ${usbId(d.vendorId, d.productId)} ${what}${d.serial ? ` serial ${d.serial}` : ''} (${d.path})`);
  });
  const pick = (v: string): HidDeviceEntry | undefined => {
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= upses.length) return upses[n - 1];
    return upses.find((d) => usbId(d.vendorId, d.productId) === v.toLowerCase() || d.serial === v);
  };
  const answer = await p.ask({
    flag: 'usb-device',
    text: 'Which one (number, VVVV:PPPP or serial)',
    default: upses.length === 1 ? '1' : undefined,
    check: (v) => (pick(v) ? null : `not in the list (1-${upses.length}, VVVV:PPPP or a serial)`),
  });
  const d = pick(answer)!;
  const [vendor, product] = usbId(d.vendorId, d.productId).split(':') as [string, string];
  const sameId = upses.filter((u) => u.vendorId === d.vendorId && u.productId === d.productId).length;
  return {
    kind: 'usb',
    vendor_id: vendor,
    product_id: product,
    ...(isMeaningfulSerial(d.serial, sameId) ? { serial: d.serial } : {}),
  };
}

function identityOf(hostname: string): string {
  const clean = hostname.replace(/[^A-Za-z0-9_.@:-]/g, '-').slice(0, 100);
  return `upsguard-${clean || 'appliance'}`;
}

async function relaySource(
  p: Prompter,
  draft: SetupDraft,
  ups: string,
  keep: Plain,
  deps: UpsStepDeps,
): Promise<Plain> {
  const beforeUrl = textAt(keep, 'url');
  const before = beforeUrl === undefined ? undefined : parseRelayUrl(beforeUrl);
  const address = await p.ask({
    flag: 'relay-address',
    text: "The relay agent's address (HOST[:PORT])",
    default: before === undefined ? undefined : `${before.host}:${before.port}`,
    check: (v) => (/^(\[[0-9a-fA-F:.]+\]|[^/:[\]\s]+)(:\d{1,5})?$/.test(v) ? null : 'expected HOST or HOST:PORT'),
  });
  const selector = await p.ask({
    flag: 'relay-device',
    text: "The agent's device (name or VVVV:PPPP; empty: its only one)",
    default: before?.selector ?? '',
  });
  const identity = await p.ask({
    flag: 'relay-identity',
    text: "This appliance's identity at the agent",
    default: textAt(keep, 'identity') ?? identityOf(deps.hostname),
    check: (v) => (/^[A-Za-z0-9_.@:-]{1,128}$/.test(v) ? null : 'letters, digits and _ . @ : - only (1-128)'),
  });
  const addr = parseRelayUrl(`relay://${address}/${encodeURIComponent(selector)}`);
  // A re-run keeps the key: the agent already has it.
  const keyFile = textAt(keep, 'psk_file');
  let key: Buffer;
  let pskFile: string;
  if (keyFile !== undefined && existsSync(resolve(draft.dir, keyFile))) {
    key = parseHexKey(readFileSync(resolve(draft.dir, keyFile), 'utf8'), keyFile);
    pskFile = keyFile;
    p.say(`Keeping the relay key in ${keyFile}.`);
  } else {
    key = randomBytes(32);
    pskFile = writeSecretFile(draft, `relay-${ups}.psk`, key.toString('hex'));
    p.say(`Made a new relay key: ${pskFile} (mode 600).`);
  }
  const port = addr.port === DEFAULT_RELAY_PORT ? '3496' : String(addr.port);
  draft.afterwards.push(
    `On the agent's host (${addr.host}), add this line to the agent's key file (/etc/upsguard/relay.keys, mode 600):`,
    `  ${identity} ${key.toString('hex')}`,
    'and run the agent (the upsguard-relay service does the same):',
    `  upsguard relay --listen 0.0.0.0:${port} --psk-file /etc/upsguard/relay.keys`,
  );
  const probe = await probeRelay(addr, identity, key, deps.timeoutMs);
  if (probe.ok) p.say(`  ok: ${probe.message}`);
  else p.say(`  the agent does not accept this appliance yet (${probe.message}); set it up as printed at the end`);
  return { ...keep, kind: 'relay', url: formatRelayUrl(addr), identity, psk_file: pskFile };
}

async function nutSource(p: Prompter, draft: SetupDraft, ups: string, keep: Plain, deps: UpsStepDeps): Promise<Plain> {
  for (;;) {
    const raw = await p.ask({
      flag: 'nut-url',
      text: 'The NUT server and UPS (nut://USER:PASSWORD@HOST[:PORT]/UPS)',
      default: textAt(keep, 'url'),
      check: (v) => (nutParts(v) === null ? 'expected nut://USER:PASSWORD@HOST[:PORT]/UPS' : null),
    });
    const parts = nutParts(raw)!;
    const target = parseNutUrl(parts.url);
    let password = parts.password;
    if (password === undefined && p.has('nut-password-file')) {
      password = readSecretFile(p.all('nut-password-file')[0]!, 'nut-password-file');
    }
    const keptFile = textAt(keep, 'password_file');
    if (password === undefined && keptFile !== undefined && existsSync(resolve(draft.dir, keptFile))) {
      password = readFileSync(resolve(draft.dir, keptFile), 'utf8').replace(/\r?\n$/, '');
    }
    if (password === undefined && target.user !== undefined) {
      password = (await p.secret('nut-password-file', `Password of ${target.user}`, false)) ?? '';
    }
    const probe = await probeNutLogin(target, password ?? '', deps.timeoutMs);
    if (!probe.ok) {
      if (!p.interactive || p.has('nut-url'))
        throw new UpsguardError(ErrorCode.SetupCheckFailed, `the NUT login failed: ${probe.message}`);
      p.say(`  the login failed: ${probe.message}; once more`);
      continue;
    }
    p.say(`  ok: ${probe.message}`);
    const source: Plain = { ...keep, kind: 'nut', url: parts.url };
    delete source.password_file;
    if (password !== undefined && password !== '') {
      source.password_file = writeSecretFile(draft, `nut-${ups}.password`, password);
    }
    return source;
  }
}

/** The URL the config holds (user, never the password) and the password typed into it, if any. */
export function nutParts(text: string): { url: string; password: string | undefined } | null {
  const m = /^nut:\/\/(?:([^@/:\s]+)(?::([^@/\s]*))?@)?(\[[0-9A-Fa-f:.]+\]|[^:/@\s]+)(:\d{1,5})?\/([^/\s]+)$/.exec(
    text,
  );
  if (!m) return null;
  const port = m[4] === undefined ? 3493 : Number(m[4].slice(1));
  if (port < 1 || port > 65_535) return null;
  const user = m[1] === undefined ? '' : `${m[1]}@`;
  let password: string | undefined;
  try {
    password = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
  } catch {
    return null;
  }
  return { url: `nut://${user}${m[3]!}${m[4] ?? ''}/${m[5]!}`, password };
}

async function simSource(p: Prompter, keep: Plain): Promise<Plain> {
  const names = recordedDevices.map((d) => d.name);
  const device = await p.ask({
    flag: 'sim-device',
    text: `Simulated UPS (${names.join(', ')})`,
    default: textAt(keep, 'device') ?? 'cyberpower-cp1500pfclcd',
    check: (v) => (names.includes(v) ? null : `one of ${names.join(', ')}`),
  });
  return { scenario: 'steady', ...keep, kind: 'sim', device };
}
