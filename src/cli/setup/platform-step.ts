import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Target } from '../../shutdown/drivers/driver.js';
import { isPlain, plainAt, textAt, type Plain, type SetupDraft } from './draft.js';
import { probeDriver } from './driver-probe.js';
import {
  PLATFORM_KINDS,
  libvirtFields,
  proxmoxFields,
  sshFields,
  vsphereFields,
  type FieldContext,
  type PlatformKind,
} from './platform-fields.js';
import { usageError, type Prompter } from './prompt.js';

export interface PlatformStepDeps {
  readonly log: Logger;
  readonly timeoutMs: number;
}

/** Which flag makes a platform part of a scripted run. */
const PRIMARY_FLAG: Record<PlatformKind, string> = {
  vsphere: 'vsphere-url',
  proxmox: 'proxmox-url',
  libvirt: 'libvirt-uri',
  ssh: 'ssh-host',
};

function chosenKinds(text: string): PlatformKind[] | string {
  if (text.trim() === '' || text.trim() === 'none') return [];
  const kinds = text.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !(PLATFORM_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) return `unknown platform ${bad.join(', ')} (${PLATFORM_KINDS.join(', ')} or none)`;
  return kinds as PlatformKind[];
}

/**
 * Step 2: the platforms to shut down. Each one's fields are asked, its credential tested on the spot (check and
 * discover, with the real driver) and what it found listed. Fills draft.drivers; returns every target found.
 */
export async function platformStep(p: Prompter, draft: SetupDraft, deps: PlatformStepDeps): Promise<Target[]> {
  const existing = (plainAt(draft.existing, 'shutdown', 'drivers') as unknown[] | undefined) ?? [];
  const existingDrivers = Array.isArray(existing) ? existing.filter(isPlain) : [];
  const existingKinds = [...new Set(existingDrivers.map((d) => textAt(d, 'kind')))].filter((k): k is PlatformKind =>
    (PLATFORM_KINDS as readonly string[]).includes(k ?? ''),
  );
  // A script names its platforms by giving their flags; --platforms says it outright.
  const flagged = PLATFORM_KINDS.filter((k) => p.has(PRIMARY_FLAG[k]));
  const fallback = p.interactive ? existingKinds : flagged.length > 0 ? flagged : existingKinds;
  const answer = await p.ask({
    flag: 'platforms',
    text: `Platforms to shut down (${PLATFORM_KINDS.join(', ')}; comma-separated, or none)`,
    default: fallback.join(',') || 'none',
    check: (v) => {
      const k = chosenKinds(v);
      return typeof k === 'string' ? k : null;
    },
  });
  const kinds = chosenKinds(answer) as PlatformKind[];
  const unwanted = flagged.find((k) => !kinds.includes(k));
  if (unwanted !== undefined)
    throw usageError(`--${PRIMARY_FLAG[unwanted]} is given but ${unwanted} is not in --platforms`);
  // SSH first: a libvirt host is named after an SSH host.
  const ordered = PLATFORM_KINDS.filter((k) => kinds.includes(k) && k === 'ssh').concat(
    PLATFORM_KINDS.filter((k) => kinds.includes(k) && k !== 'ssh'),
  );
  const drivers: Plain[] = [];
  const targets: Target[] = [];
  let sshHosts: string[] = [];
  for (const kind of ordered) {
    const before = existingDrivers.find((d) => textAt(d, 'kind') === kind) ?? {};
    const ctx: FieldContext = { p, draft, before, timeoutMs: deps.timeoutMs };
    for (let attempt = 1; ; attempt++) {
      p.say(`${kind}:`);
      const entry =
        kind === 'vsphere'
          ? await vsphereFields(ctx)
          : kind === 'proxmox'
            ? await proxmoxFields(ctx)
            : kind === 'libvirt'
              ? await libvirtFields(ctx, sshHosts)
              : await sshFields(ctx);
      const probe = await probeDriver(entry, draft.dir, deps.log, deps.timeoutMs);
      for (const c of probe.checks.filter((x) => x.ok)) p.say(`  ok ${c.target ? `${c.target}: ` : ''}${c.message}`);
      for (const w of probe.warnings) p.say(`  warning ${w}`);
      if (probe.ok) {
        sayFound(p, probe.targets);
        drivers.push(entry);
        targets.push(...probe.targets);
        if (kind === 'ssh') sshHosts = probe.targets.map((t) => t.name);
        break;
      }
      for (const line of probe.problems) p.say(`  FAILED ${line}`);
      if (
        !p.interactive ||
        attempt >= 3 ||
        !(await p.yesNo(`${kind}-retry`, `Enter the ${kind} details again?`, true))
      ) {
        throw new UpsguardError(
          ErrorCode.SetupCheckFailed,
          `${kind}: the credential or endpoint test failed: ${probe.problems.join('; ')}`,
        );
      }
    }
  }
  // A second driver of a kind asked about (another vCenter) stays as it was; a kind no longer chosen goes.
  const replaced = new Set(ordered.map((k) => existingDrivers.find((d) => textAt(d, 'kind') === k)));
  const kept = existingDrivers.filter((d) => !replaced.has(d) && kinds.includes(textAt(d, 'kind') as PlatformKind));
  draft.drivers = [...drivers, ...kept];
  return targets;
}

function sayFound(p: Prompter, targets: readonly Target[]): void {
  const hosts = targets.filter((t) => t.kind === 'host');
  const vms = targets.filter((t) => t.kind === 'vm');
  p.say(`  found ${hosts.length} host${hosts.length === 1 ? '' : 's'}, ${vms.length} VM${vms.length === 1 ? '' : 's'}`);
  for (const h of hosts) p.say(`    host ${h.name}${h.tags.length > 0 ? `  tags ${h.tags.join(', ')}` : ''}`);
  for (const v of vms) {
    p.say(
      `    vm   ${v.name}${v.host ? ` on ${v.host}` : ''}${v.tags.length > 0 ? `  tags ${v.tags.join(', ')}` : ''}`,
    );
  }
}
