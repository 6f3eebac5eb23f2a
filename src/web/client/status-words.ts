// What a UPS's state is, in words and a tone (ok, warn, bad, unknown), from what the server says.
import type { UpsStatus } from './types.js';

export type Tone = 'ok' | 'warn' | 'bad' | 'unknown';

export const STATUS_WORDS: Readonly<Record<string, string>> = {
  OL: 'on line',
  OB: 'on battery',
  LB: 'low battery',
  CHRG: 'charging',
  DISCHRG: 'discharging',
  RB: 'replace battery',
  OVER: 'overload',
  TRIM: 'trimming',
  BOOST: 'boosting',
  CAL: 'calibrating',
  OFF: 'output off',
  BYPASS: 'bypass',
  FSD: 'forced shutdown',
};

export function toneOf(text: string): Tone {
  return text === 'ok' || text === 'warn' || text === 'bad' ? text : 'unknown';
}

/**
 * The state badge. A UPS never reached says so (NEVER REACHED, not "unknown"): the fix is in its cabling or
 * config, not in waiting. Otherwise the server's words.
 */
export function upsState(u: UpsStatus): { words: string; tone: Tone } {
  const s = u.status;
  if (!u.lastContact && !s.length) return { words: 'NEVER REACHED', tone: 'bad' };
  return { words: u.state.words.toUpperCase(), tone: toneOf(u.state.tone) };
}

export function onBattery(u: UpsStatus): boolean {
  return u.status.includes('OB');
}

/** Not reached: never contacted, or the link is lost. */
export function notReached(u: UpsStatus): boolean {
  return !u.lastContact || u.comms === 'lost' || u.comms === 'unknown';
}

export const COMMS_WORDS: Readonly<Record<string, string>> = {
  ok: 'comms ok',
  stale: 'comms stale',
  lost: 'comms lost',
  unknown: 'no contact',
};

export function commsTone(comms: string): Tone {
  return comms === 'ok' ? 'ok' : comms === 'stale' ? 'warn' : 'bad';
}

// "Relay unreachable" and "UPS detached at the agent" are different troubles with different fixes: say which.
export function relayText(u: UpsStatus): string | null {
  const r = u.relay;
  if (!r) return null;
  const rtt = r.rttMs === null ? '' : `, round trip ${r.rttMs.toFixed(2)} ms`;
  const links: Record<typeof r.link, string> = {
    connected: 'link up',
    reconnecting: 'reconnecting',
    unreachable: 'RELAY UNREACHABLE',
    connecting: 'connecting',
  };
  const link = links[r.link];
  const device =
    r.device === 'detached'
      ? 'UPS DETACHED AT THE AGENT'
      : r.device === 'attached'
        ? 'UPS attached'
        : 'UPS state unknown';
  // The claim actually held at the agent: a refused one means this appliance cannot send the load-off.
  const claim =
    r.claim === 'refused'
      ? `, CLAIM REFUSED: ${r.claimProblem ?? 'another appliance controls this UPS'}`
      : r.controller
        ? ', controller'
        : ', observer';
  return `relay ${r.url} via ${r.agentHost ?? 'agent'}: ${link}, ${device}${rtt}${claim}`;
}

export function charge(u: UpsStatus): number | null {
  return u.charge;
}
