import type { UpsSnapshot } from '../../ups/events.js';
import type { Decision } from '../../shutdown/policy.js';
import type { ShutdownFacade } from '../../web/facade.js';
import { stateOf } from '../../web/views.js';

/** A retained UPS state message: what Home Assistant's sensors read with `value_json.<key>`. */
export interface UpsStatePayload {
  readonly status: string;
  readonly state: string;
  readonly words: string;
  readonly comms: string;
  readonly mains: 'ON' | 'OFF' | null;
  readonly low_battery: 'ON' | 'OFF' | null;
  readonly connected: 'ON' | 'OFF';
  readonly charge: number | null;
  readonly runtime_s: number | null;
  readonly load_pct: number | null;
  readonly input_voltage: number | null;
  readonly output_voltage: number | null;
  readonly battery_voltage: number | null;
  readonly at: string | null;
}

function num(vars: Readonly<Record<string, string>>, name: string): number | null {
  const text = vars[name];
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

export function upsStatePayload(s: UpsSnapshot): UpsStatePayload {
  const view = stateOf(s);
  const known = s.status.length > 0 && s.comms !== 'lost';
  const v = s.variables;
  return {
    status: s.status.join(' '),
    state: view.state,
    words: view.words,
    comms: s.comms,
    mains: known ? (s.status.includes('OB') ? 'OFF' : 'ON') : null,
    low_battery: known ? (s.status.includes('LB') ? 'ON' : 'OFF') : null,
    connected: s.comms === 'ok' || s.comms === 'stale' ? 'ON' : 'OFF',
    charge: num(v, 'battery.charge'),
    runtime_s: num(v, 'battery.runtime'),
    load_pct: num(v, 'ups.load'),
    input_voltage: num(v, 'input.voltage'),
    output_voltage: num(v, 'output.voltage'),
    battery_voltage: num(v, 'battery.voltage'),
    at: s.at > 0 ? new Date(s.at).toISOString() : null,
  };
}

/** The key that, when it changes, is published at once (readings alone wait for the publish interval). */
export function stateKey(s: UpsSnapshot): string {
  return `${s.comms}|${s.status.join(' ')}`;
}

export interface DecisionPayload {
  readonly level: string;
  readonly rule: string | null;
  readonly ups: string | null;
  readonly message: string | null;
  /** The decision in one sentence, when the page's forecast has said it. */
  readonly sentence: string | null;
}

export function decisionPayload(d: Decision, sentence: string | null): DecisionPayload {
  const first = d.reasons[0];
  return {
    level: d.level,
    rule: first?.trigger ?? null,
    ups: first?.ups ?? null,
    message: first?.message ?? null,
    sentence,
  };
}

export interface PlanPayload {
  readonly plan: string | null;
  readonly estimate_s: number | null;
  readonly targets: number;
  readonly problems: number;
  /** `idle`, `running`, or the newest real run's outcome when nothing runs. */
  readonly status: string;
  readonly running: boolean;
  readonly last_run: { readonly mode: string; readonly status: string; readonly started_at: string } | null;
}

export function planPayload(f: ShutdownFacade): PlanPayload {
  const view = f.plan();
  const running = f.activeRuns().length > 0;
  const last = f.runs(1)[0];
  return {
    plan: view.plan?.name ?? null,
    estimate_s: view.estimate ? Math.round(view.estimate.totalS) : null,
    targets: view.estimate?.targets.size ?? 0,
    problems: view.problems.length + view.unreachable.length,
    status: running ? 'running' : view.plan ? 'ready' : 'no plan',
    running,
    last_run: last
      ? { mode: last.mode, status: last.status, started_at: new Date(last.startedAt).toISOString() }
      : null,
  };
}
