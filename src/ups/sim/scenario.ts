import { ErrorCode, UpsguardError } from '../../errors.js';

/**
 * A scenario in the spirit of NUT's dummy-ups `.seq` files: one step a line, `AT ACTION [ARG]`, where AT is
 * seconds of model time from the start. `loop AT` starts over at AT. `#` starts a comment.
 *
 *   0   mains on
 *   15  load 40
 *   150 mains off
 *   300 unplug        (the UPS drops off the USB bus, as many do at power transfer)
 *   302 replug
 *   450 mains on
 *   750 loop
 */
export type ScenarioAction =
  | { kind: 'mains'; on: boolean }
  | { kind: 'load'; pct: number }
  | { kind: 'health'; pct: number }
  | { kind: 'usb'; plugged: boolean }
  | { kind: 'loop' };

export interface ScenarioStep {
  readonly atS: number;
  readonly action: ScenarioAction;
}

export interface Scenario {
  readonly name: string;
  readonly steps: readonly ScenarioStep[];
  /** Model seconds after which the scenario starts over, or null to run once. */
  readonly loopAtS: number | null;
}

function fail(name: string, lineNo: number, reason: string): never {
  throw new UpsguardError(ErrorCode.ScenarioInvalid, `scenario ${name} line ${lineNo}: ${reason}`, {
    scenario: name,
    line: lineNo,
  });
}

function percent(name: string, lineNo: number, text: string | undefined, what: string): number {
  const n = Number(text);
  if (text === undefined || !Number.isFinite(n) || n < 0 || n > 100) {
    fail(name, lineNo, `${what} needs a percentage 0..100, got ${JSON.stringify(text ?? '')}`);
  }
  return n;
}

export function parseScenario(text: string, name = 'scenario'): Scenario {
  const steps: ScenarioStep[] = [];
  let loopAtS: number | null = null;
  let last = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const [atText, verb, arg, extra] = line.split(/\s+/);
    const atS = Number(atText);
    if (!Number.isFinite(atS) || atS < 0)
      fail(name, lineNo, `time ${JSON.stringify(atText)} is not a number of seconds`);
    if (atS < last) fail(name, lineNo, `time ${atS} goes back before ${last}`);
    if (loopAtS !== null) fail(name, lineNo, 'nothing may follow loop');
    if (extra !== undefined) fail(name, lineNo, `unexpected ${JSON.stringify(extra)}`);
    last = atS;
    switch (verb ?? '') {
      case 'mains':
        if (arg !== 'on' && arg !== 'off')
          fail(name, lineNo, `mains needs on or off, got ${JSON.stringify(arg ?? '')}`);
        steps.push({ atS, action: { kind: 'mains', on: arg === 'on' } });
        break;
      case 'load':
        steps.push({ atS, action: { kind: 'load', pct: percent(name, lineNo, arg, 'load') } });
        break;
      case 'health':
        steps.push({ atS, action: { kind: 'health', pct: percent(name, lineNo, arg, 'health') } });
        break;
      case 'unplug':
      case 'replug':
        // The UPS drops off the USB bus and comes back (as many do at the moment of power transfer).
        if (arg !== undefined) fail(name, lineNo, `${verb} takes no argument`);
        steps.push({ atS, action: { kind: 'usb', plugged: verb === 'replug' } });
        break;
      case 'loop':
        if (atS === 0) fail(name, lineNo, 'loop at 0 would never advance');
        loopAtS = atS;
        break;
      default:
        fail(
          name,
          lineNo,
          `unknown action ${JSON.stringify(verb ?? '')} (expected mains, load, health, unplug, replug or loop)`,
        );
    }
  });
  return { name, steps, loopAtS };
}

/** The demo's outage, paced at time scale 10 so the page changes within a minute of opening it. */
export const builtinScenarios: Readonly<Record<string, string>> = {
  'demo-loop': ['0 mains on', '0 load 35', '150 mains off', '450 mains on', '750 loop'].join('\n'),
  steady: '0 mains on\n0 load 20',
  // The demo's story: the short outage above, then every second loop a long one that trips the shutdown plan.
  'demo-story': [
    '0 mains on',
    '0 load 20',
    '150 mains off',
    '450 mains on',
    '750 mains off',
    '1500 mains on',
    '2250 loop',
  ].join('\n'),
};

/** Steps due in the half-open interval (fromS, toS], loops unrolled; steps at 0 are applied at start by the caller. */
export function dueSteps(scenario: Scenario, fromS: number, toS: number): ScenarioStep[] {
  const out: ScenarioStep[] = [];
  const period = scenario.loopAtS;
  if (period === null) {
    for (const s of scenario.steps) if (s.atS > fromS && s.atS <= toS) out.push(s);
    return out;
  }
  const firstCycle = Math.max(0, Math.floor(fromS / period));
  const lastCycle = Math.floor(toS / period);
  for (let c = firstCycle; c <= lastCycle; c++) {
    for (const s of scenario.steps) {
      const t = c * period + s.atS;
      if (t > fromS && t <= toS) out.push({ atS: t, action: s.action });
    }
  }
  return out;
}
