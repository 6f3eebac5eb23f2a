import type { StoreHealth } from '../../store/failover-db.js';
import type { NutStateResponse } from '../../web/api-types/nut.js';
import type { WatchedUps } from '../../web/deps.js';
import type { ShutdownFacade } from '../../web/facade.js';
import type { Sample } from './samples.js';
import { shutdownSamples } from './shutdown-samples.js';

/** What the metrics read: the same façades the web routes use, each optional (a part may be absent). */
export interface MetricsSources {
  readonly ups: readonly WatchedUps[];
  readonly shutdown?: ShutdownFacade | null;
  readonly nut?: () => NutStateResponse;
  readonly store?: () => StoreHealth;
  /** The store file's size, null when it is in memory or cannot be read. */
  readonly storeSizeBytes?: () => number | null;
  readonly now: () => number;
}

const COMMS = ['ok', 'stale', 'lost', 'unknown'] as const;
const RELAY_LINKS = ['connecting', 'connected', 'reconnecting', 'unreachable'] as const;

const seconds = (ms: number): number => ms / 1000;

function upsSamples(src: MetricsSources, out: Sample[]): void {
  const now = src.now();
  for (const u of src.ups) {
    const s = u.snapshot();
    for (const state of COMMS) {
      out.push({
        name: 'upsguard_ups_comms',
        help: 'Contact with the UPS: 1 for its current state (ok, stale, lost, unknown)',
        labels: { ups: u.name, state },
        value: s.comms === state ? 1 : 0,
      });
    }
    if (s.at > 0) {
      out.push({
        name: 'upsguard_ups_data_age_seconds',
        help: 'Seconds since the last reading of the UPS',
        labels: { ups: u.name },
        value: Math.max(0, seconds(now - s.at)),
      });
    }
    const relay = u.diagnostics().relay;
    if (!relay) continue;
    for (const state of RELAY_LINKS) {
      out.push({
        name: 'upsguard_relay_link',
        help: 'Link to the relay agent: 1 for its current state',
        labels: { ups: u.name, state },
        value: relay.link === state ? 1 : 0,
      });
    }
    if (relay.rttMs !== null) {
      out.push({
        name: 'upsguard_relay_rtt_seconds',
        help: 'Round trip to the relay agent',
        labels: { ups: u.name },
        value: seconds(relay.rttMs),
      });
    }
    out.push({
      name: 'upsguard_relay_device_attached',
      help: 'Whether the UPS is attached at the relay agent (1), detached (0); absent while unknown',
      labels: { ups: u.name },
      value: relay.device === 'attached' ? 1 : 0,
    });
    out.push({
      name: 'upsguard_relay_controller',
      help: 'Whether this appliance holds the controller claim on the relayed UPS',
      labels: { ups: u.name },
      value: relay.controller ? 1 : 0,
    });
  }
}

function nutSamples(nut: NutStateResponse, out: Sample[]): void {
  out.push({
    name: 'upsguard_nut_server_listening',
    help: 'Whether the NUT server is listening (0: disabled or failed)',
    labels: { state: nut.state },
    value: nut.state === 'listening' ? 1 : 0,
  });
  for (const u of nut.ups) {
    const clients = nut.clients.filter((c) => c.ups === u.name);
    for (const upsmon of ['primary', 'secondary', 'none'] as const) {
      out.push({
        name: 'upsguard_nut_clients',
        help: 'NUT clients logged in to the UPS, by upsmon role',
        labels: { ups: u.name, upsmon },
        value: clients.filter((c) => (c.upsmon ?? 'none') === upsmon).length,
      });
    }
    out.push({
      name: 'upsguard_nut_fsd',
      help: 'Whether the NUT server has the forced-shutdown latch set for the UPS',
      labels: { ups: u.name },
      value: u.fsd ? 1 : 0,
    });
  }
}

function storeSamples(src: MetricsSources, out: Sample[]): void {
  const h = src.store?.();
  if (h) {
    out.push({
      name: 'upsguard_store_writable',
      help: 'Whether history reaches the store file (0: kept in memory until the file takes writes again)',
      labels: {},
      value: h.state === 'ok' ? 1 : 0,
    });
  }
  const size = src.storeSizeBytes?.() ?? null;
  if (size !== null) {
    out.push({ name: 'upsguard_store_size_bytes', help: 'Size of the store file', labels: {}, value: size });
  }
}

/** upsguard's own metrics (`upsguard_` prefix), read from the sources at scrape time. */
export function upsguardSamples(src: MetricsSources): Sample[] {
  const out: Sample[] = [];
  upsSamples(src, out);
  const shutdown = src.shutdown ?? null;
  if (shutdown) shutdownSamples(shutdown, src.ups, src.now(), out);
  if (src.nut) nutSamples(src.nut(), out);
  storeSamples(src, out);
  return out;
}
