// Type-only: GET /api/status and the SSE `snapshot` message. The page imports these with `import type`.
import type { CommsState } from '../../ups/events.js';
import type { NutMdnsView } from './nut.js';
import type { RelayStatus } from '../../ups/transport/relay-transport.js';

/** The power state in one word, from ups.status and comms; `unknown` until the UPS has been read. */
export type UpsStateName =
  | 'online'
  | 'on-battery'
  | 'low-battery'
  | 'forced-shutdown'
  | 'output-off'
  | 'bypass'
  | 'overload'
  | 'calibrating'
  | 'comms-lost'
  | 'unknown';

/** The colour class the page gives a state: `ok` green, `warn` amber, `bad` red, `muted` grey. */
export type UpsTone = 'ok' | 'warn' | 'bad' | 'muted';

/** The state in words and colour, e.g. `{ state: 'on-battery', words: 'On battery', tone: 'warn' }`. */
export interface UpsStateView {
  readonly state: UpsStateName;
  readonly words: string;
  readonly tone: UpsTone;
}

/** The last battery self-test: from ups.test.result, else the last BATTERY_TEST event; null when neither is known. */
export interface SelfTestView {
  readonly result: string;
  /** ISO 8601; null when the UPS reports a result without a time and no event gives one. */
  readonly at: string | null;
}

/** Where the UPS is reached: the relay link (agent, link state, round trip) or the local device. */
export interface LinkView {
  /** Whether the appliance reads the UPS right now (`ok`), has data older than it should (`stale`), or none. */
  readonly comms: CommsState;
  readonly relay: RelayStatus | null;
}

/** One UPS as the overview shows it. Numbers are null when the UPS does not report the variable. */
export interface UpsStatusView {
  name: string;
  description: string | null;
  source: { kind: string; location: string };
  /** Every variable by NUT name, as NUT prints it. */
  variables: Record<string, string>;
  status: string[];
  comms: CommsState;
  /** ISO 8601 of the last reading; null if never read. */
  lastUpdate: string | null;
  lastContact: string | null;
  problem: string | null;
  /** Through which relay, the agent's host, the link state and round trip; null for a local UPS. */
  relay: RelayStatus | null;
  state: UpsStateView;
  /** battery.charge, %. */
  charge: number | null;
  /** battery.runtime, s. */
  runtimeS: number | null;
  /** ups.load, %. */
  loadPct: number | null;
  inputVoltage: number | null;
  outputVoltage: number | null;
  batteryVoltage: number | null;
  /** Seconds since the outage began (the last ONBATT while OB is set); null on mains. */
  onBatteryS: number | null;
  lastSelfTest: SelfTestView | null;
  model: string | null;
  maker: string | null;
  serial: string | null;
  link: LinkView;
  /** Seconds since the last reading; null if never read. */
  dataAgeS: number | null;
  /** True when the data is older than 3 quick poll intervals, or contact is stale or lost. */
  stale: boolean;
}

/** Whether history is being kept; the page shows a banner when it is not. */
export interface StoreView {
  historyKept: boolean;
  path: string | null;
  since: string | null;
  reason: string | null;
}

/**
 * The NUT server in brief (GET /api/nut has the clients): listening on what, or `disabled`, or `failed` with why
 * (the port was in use, say).
 */
export interface NutServerSummary {
  readonly state: 'listening' | 'disabled' | 'failed';
  readonly host: string | null;
  readonly port: number | null;
  readonly reason: string | null;
  /** Connections LOGINed to any UPS. */
  readonly clients: number;
  /** The `_nut._tcp` advertisement; null where unknown. */
  readonly mdns: NutMdnsView | null;
}

/** GET /api/status */
export interface StatusResponse {
  readonly generatedAt: string;
  readonly ups: readonly UpsStatusView[];
  readonly store: StoreView;
  /** null when this server has no NUT part (web-only rigs). */
  readonly nut: NutServerSummary | null;
  /** The running upsguard's version (package.json). */
  readonly version: string;
  /** Seconds since the service process started. */
  readonly uptimeS: number;
}
