import { networkInterfaces, hostname } from 'node:os';
import { demoShutdown } from '../../config/demo-shutdown.js';
import type { Target } from '../../shutdown/drivers/driver.js';
import { isPlain, plainAt, textAt, without, type Plain, type SetupDraft } from './draft.js';
import { proposePlan } from './plan-proposal.js';
import type { Prompter, Question } from './prompt.js';

const NONE = 'none';

function seconds(min: number, max: number, optional: boolean): (v: string) => string | null {
  return (v) => {
    if (optional && v === NONE) return null;
    const n = Number(v);
    return Number.isFinite(n) && n >= min && n <= max
      ? null
      : `a number from ${min} to ${max}${optional ? ', or none' : ''}`;
  };
}

async function askNumber(p: Prompter, q: Question & { min: number; max: number }): Promise<number> {
  return Number(await p.ask({ ...q, check: seconds(q.min, q.max, false) }));
}

/** This machine as the plan finds its own VM: its MAC addresses and host name. */
function thisMachine(): { macs: string[]; hostname: string } {
  const macs = Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.mac.toLowerCase())
    .filter((m): m is string => m !== undefined && m !== '00:00:00:00:00:00');
  return { macs, hostname: hostname() };
}

/**
 * Step 3: the plan and the policy. With the simulator and no platform, the demo's simulated cluster and plan; else a
 * plan proposed from what the platforms found, with the numbers asked (the existing plan's as defaults).
 */
export async function planStep(p: Prompter, draft: SetupDraft, targets: readonly Target[]): Promise<void> {
  const beforePlan = plainAt(draft.existing, 'shutdown', 'plan');
  const sim = textAt(draft.ups, 'source', 'kind') === 'sim' && draft.drivers.length === 0;
  if (sim) {
    p.say("No platform: the plan runs on the demo's simulated cluster (pve1, pve2 and their VMs).");
    draft.simCluster = { ...demoShutdown.shutdown!.sim_cluster };
    const { sim_cluster: _cluster, plan, drivers: _drivers, ...extra } = demoShutdown.shutdown!;
    draft.plan = { ...plan };
    draft.shutdownExtra = extra;
  } else if (targets.length === 0) {
    p.say('Nothing to shut down was found: no plan is written (the UPS is watched and served over NUT).');
    draft.plan = undefined;
  } else {
    draft.plan = await proposedPlan(p, targets, isPlain(beforePlan) ? beforePlan : {});
  }
  if (draft.plan !== undefined) {
    p.say('Proposed plan:');
    for (const ph of (draft.plan.phases as Plain[] | undefined) ?? []) {
      const sel = ((ph.targets as Plain[] | undefined) ?? []).map((t) => describeSelector(t)).join('; ');
      p.say(`  ${String(ph.name)}: ${sel}`);
    }
    const finals = [draft.plan.self_host, draft.plan.ups_host].filter((x) => typeof x === 'string');
    if (finals.length > 0) p.say(`  last, after the UPS load-off: ${[...new Set(finals)].join(', ')}`);
  }
  draft.policy = await policy(p, draft, sim);
}

function describeSelector(t: Plain): string {
  const list = (k: string): string => (Array.isArray(t[k]) ? (t[k] as unknown[]).map(String).join(', ') : '');
  const kind = textAt(t, 'kind');
  const what =
    textAt(t, 'vms_of') !== undefined
      ? `VMs of ${textAt(t, 'vms_of')!}`
      : t.tags !== undefined
        ? `${kind ?? 'targets'} tagged ${list('tags')}`
        : `${kind ?? ''} ${list('names')}`.trim();
  const except = list('except') === '' ? '' : ` except ${list('except')}`;
  return `${what}${except} (${textAt(t, 'driver') ?? 'sim'})`;
}

async function proposedPlan(p: Prompter, targets: readonly Target[], before: Plain): Promise<Plain> {
  const vms = targets.filter((t) => t.kind === 'vm').map((t) => t.name);
  const hosts = targets.filter((t) => t.kind === 'host').map((t) => t.name);
  // As the plan finds it when self_vm is unset: a VM with one of this machine's MACs, else this machine's name.
  const me = thisMachine();
  const foundVm =
    targets.find((t) => t.kind === 'vm' && t.macs.some((m) => me.macs.includes(m.toLowerCase())))?.name ??
    targets.find((t) => t.kind === 'vm' && t.name === me.hostname)?.name;
  const oneOf = (list: readonly string[]) => (v: string) =>
    v === NONE || list.includes(v) ? null : `one of ${list.join(', ') || '(none found)'}, or none`;
  const pick = (v: string): string | null => (v === NONE ? null : v);
  const selfVm = pick(
    await p.ask({
      flag: 'self-vm',
      text: `The appliance's own VM (${vms.join(', ')}, or none)`,
      default: textAt(before, 'self_vm') ?? foundVm ?? NONE,
      check: oneOf(vms),
    }),
  );
  const vmHost = targets.find((t) => t.name === selfVm)?.host;
  const selfHost = pick(
    await p.ask({
      flag: 'self-host',
      text: `The host the appliance runs on (${hosts.join(', ') || 'none found'})`,
      default: textAt(before, 'self_host') ?? (vmHost !== undefined && hosts.includes(vmHost) ? vmHost : NONE),
      check: oneOf(hosts),
    }),
  );
  const upsHost = pick(
    await p.ask({
      flag: 'ups-host',
      text: `The host the UPS is plugged into (${hosts.join(', ') || 'none found'})`,
      default: textAt(before, 'ups_host') ?? selfHost ?? NONE,
      check: oneOf(hosts),
    }),
  );
  const by = (await p.ask({
    flag: 'plan-by',
    text: 'Order the VMs by host or by tag',
    default: 'host',
    check: (v) => (v === 'host' || v === 'tag' ? null : 'host or tag'),
  })) as 'host' | 'tag';
  const allTags = [...new Set(targets.filter((t) => t.kind === 'vm').flatMap((t) => t.tags))];
  const tags =
    by === 'tag'
      ? (
          await p.ask({
            flag: 'vm-tags',
            text: `Tags in shutdown order, first goes first (${allTags.join(', ')})`,
            check: (v) =>
              v.split(',').every((t) => allTags.includes(t.trim())) ? null : `tags among ${allTags.join(', ')}`,
          })
        )
          .split(',')
          .map((t) => t.trim())
      : [];
  const firstPhase = plainAt(before, 'phases', 0);
  const timeoutS = await askNumber(p, {
    flag: 'phase-timeout-s',
    text: 'Seconds a graceful shutdown may take before the hard power-off',
    default: textAt(firstPhase, 'timeout_s') ?? '120',
    min: 1,
    max: 86_400,
  });
  // The UPS must wait longer than the last hosts take to halt (the default estimate of a host is 120 s).
  const last = selfHost !== null || upsHost !== null;
  const offDelayS = await askNumber(p, {
    flag: 'off-delay-s',
    text: 'Seconds the UPS waits after the load-off command before it cuts its output',
    default: textAt(before, 'off_delay_s') ?? (last ? '180' : '60'),
    min: 1,
    max: 86_400,
  });
  const onDelayS = await askNumber(p, {
    flag: 'on-delay-s',
    text: 'Seconds the UPS waits, mains back, before it powers its output again (longer than the off delay)',
    default: textAt(before, 'on_delay_s') ?? String(offDelayS + 60),
    min: offDelayS + 1,
    max: 86_400,
  });
  const proposed = proposePlan(targets, {
    name: textAt(before, 'name') ?? 'cluster',
    by,
    tags,
    selfVm,
    selfHost,
    upsHost,
    timeoutS,
    offDelayS,
    onDelayS,
  });
  // The rest of an existing plan stays (restart_shed, driver_limits…); what was proposed replaces its own keys, and
  // a point of no return naming a phase that is gone goes too.
  const kept = without(before, ['self_vm', 'self_host', 'ups_host', 'phases', 'point_of_no_return']);
  const phases = (proposed.phases as Plain[]).map((ph) => ph.name);
  const ponr = textAt(before, 'point_of_no_return');
  return { ...kept, ...proposed, ...(ponr !== undefined && phases.includes(ponr) ? { point_of_no_return: ponr } : {}) };
}

async function policy(p: Prompter, draft: SetupDraft, sim: boolean): Promise<Plain> {
  const before = plainAt(draft.existing, 'policy');
  let base: Plain = isPlain(before) ? { ...before } : sim ? { ...demoShutdown.policy } : {};
  p.say('Policy: upsguard always acts on FSD, on battery with low battery, and when the runtime left nears the');
  p.say("plan's own estimate. Add your own thresholds (none: off).");
  const ask = async (flag: string, key: string, text: string, min: number, max: number): Promise<void> => {
    const v = await p.ask({ flag, text, default: textAt(base, key) ?? NONE, check: seconds(min, max, true) });
    base = v === NONE ? without(base, [key]) : { ...base, [key]: Number(v) };
  };
  await ask('on-battery-s', 'on_battery_s', 'Shut down after this many seconds on battery', 1, 86_400);
  await ask('charge-pct', 'charge_pct', 'Shut down at or below this battery charge (percent)', 0, 100);
  await ask('runtime-s', 'runtime_s', 'Shut down at or below this runtime left (seconds)', 0, 86_400);
  return base;
}
