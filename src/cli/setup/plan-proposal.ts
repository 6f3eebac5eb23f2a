import type { Target } from '../../shutdown/drivers/driver.js';
import type { Plain } from './draft.js';

/**
 * The plan setup proposes from what the drivers found, pure: VMs first (one selector per host, or phases by tag in
 * the order given), then the hosts, and the appliance's own VM, its host and the UPS host last (the runner puts
 * self_host and ups_host after everything, with the UPS's load-off just before). Every selector selects something
 * and nothing is selected twice, so the plan resolves as proposed.
 */
export interface PlanChoices {
  readonly name: string;
  readonly by: 'host' | 'tag';
  /** Tags in shutdown order, for `by: tag`. */
  readonly tags: readonly string[];
  readonly selfVm: string | null;
  readonly selfHost: string | null;
  readonly upsHost: string | null;
  readonly timeoutS: number;
  readonly offDelayS: number;
  readonly onDelayS: number;
}

type Selector = Plain & { driver: string };

function byDriver(targets: readonly Target[]): Map<string, Target[]> {
  const out = new Map<string, Target[]>();
  for (const t of targets) out.set(t.driver, [...(out.get(t.driver) ?? []), t]);
  return out;
}

function vmsByHost(vms: readonly Target[], selfVm: string | null): Selector[] {
  const out: Selector[] = [];
  for (const [driver, list] of byDriver(vms)) {
    const hosts = [...new Set(list.filter((v) => v.host !== undefined).map((v) => v.host!))];
    for (const h of hosts) {
      const on = list.filter((v) => v.host === h);
      if (on.every((v) => v.name === selfVm)) continue;
      const except = on.some((v) => v.name === selfVm) ? [selfVm!] : [];
      out.push({ driver, vms_of: h, ...(except.length > 0 ? { except } : {}) });
    }
    const loose = list.filter((v) => v.host === undefined && v.name !== selfVm).map((v) => v.name);
    if (loose.length > 0) out.push({ driver, kind: 'vm', names: loose });
  }
  return out;
}

function vmPhases(vms: readonly Target[], c: PlanChoices): Plain[] {
  const phases: Plain[] = [];
  const placed = new Set<string>(c.selfVm === null ? [] : [c.selfVm]);
  if (c.by === 'tag') {
    for (const tag of c.tags) {
      const selectors: Selector[] = [];
      for (const [driver, list] of byDriver(vms)) {
        const hit = list.filter((v) => v.tags.includes(tag) && !placed.has(v.name));
        if (hit.length === 0) continue;
        const except = list.filter((v) => v.tags.includes(tag) && placed.has(v.name)).map((v) => v.name);
        selectors.push({ driver, kind: 'vm', tags: [tag], ...(except.length > 0 ? { except } : {}) });
        for (const v of hit) placed.add(v.name);
      }
      if (selectors.length > 0) phases.push({ name: phaseName(`vms-${tag}`), targets: selectors });
    }
  }
  const rest = vms.filter((v) => !placed.has(v.name));
  // By tag, the VMs no tag took go by name (a selector by host would take the tagged ones again).
  const selectors =
    c.by === 'host'
      ? vmsByHost(rest, c.selfVm)
      : [...byDriver(rest)].map(([driver, list]) => ({ driver, kind: 'vm', names: list.map((v) => v.name) }));
  if (selectors.length > 0) phases.push({ name: 'vms', targets: selectors });
  return phases;
}

/** A phase name the schema takes (letters, digits, dot, dash, underscore). */
function phaseName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
}

export function proposePlan(targets: readonly Target[], c: PlanChoices): Plain {
  const vms = targets.filter((t) => t.kind === 'vm');
  const hosts = targets.filter((t) => t.kind === 'host');
  const finals = [c.selfHost, c.upsHost].filter((x): x is string => x !== null);
  const phases = vmPhases(vms, c);
  const last: Selector[] = [];
  for (const [driver, list] of byDriver(hosts)) {
    const names = list.filter((h) => !finals.includes(h.name)).map((h) => h.name);
    if (names.length > 0) last.push({ driver, kind: 'host', names });
  }
  const self = c.selfVm === null ? undefined : vms.find((v) => v.name === c.selfVm);
  if (self) last.push({ driver: self.driver, names: [self.name] });
  // Only the final hosts: the last phase names them (they still go after everything, with the load-off).
  if (last.length === 0) {
    for (const [driver, list] of byDriver(hosts.filter((h) => finals.includes(h.name)))) {
      last.push({ driver, kind: 'host', names: list.map((h) => h.name) });
    }
  }
  if (last.length > 0) phases.push({ name: 'hosts', targets: last });
  return {
    name: c.name,
    ...(c.selfVm === null ? {} : { self_vm: c.selfVm }),
    ...(c.selfHost === null ? {} : { self_host: c.selfHost }),
    ...(c.upsHost === null ? {} : { ups_host: c.upsHost }),
    off_delay_s: c.offDelayS,
    on_delay_s: c.onDelayS,
    phases: phases.map((p) => ({ ...p, timeout_s: c.timeoutS })),
  };
}
