import { ErrorCode, errorMessage } from '../../../errors.js';
import { peerText } from '../../../util/redact.js';
import type { HostReadiness } from '../driver.js';
import { PveError } from './http.js';

/** The driver's API call (token redacted on failure). */
export type PveCaller = <T>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  params?: Record<string, string | number>,
) => Promise<T>;

/** One entry of GET /cluster/ha/resources. */
interface HaResource {
  sid: string;
  type?: string;
  /** Requested state; the API leaves it out when it is the default, `started`. */
  state?: string;
}

/** One entry of GET /cluster/status: the cluster itself (`type: cluster`) or a member (`type: node`). */
interface ClusterStatusEntry {
  /** `cluster` or `node` (other types may come in later versions). */
  type: string;
  name: string;
  online?: number;
  quorate?: number;
}

/** The requested states ha-manager accepts (`enabled` is an alias of `started`). */
const HA_STATES = new Set(['started', 'stopped', 'enabled', 'disabled', 'ignored']);
const canonical = (s: string): string => (s === 'enabled' ? 'started' : s);

/** An HA resource id: `vm:ID` for QEMU, `ct:ID` for containers. */
export const haSid = (type: 'qemu' | 'lxc', vmid: number): string => `${type === 'lxc' ? 'ct' : 'vm'}:${vmid}`;

/** The guest's requested HA state, or undefined when it is not HA-managed. */
export async function haStateOf(call: PveCaller, sid: string): Promise<string | undefined> {
  const all = await call<HaResource[]>('GET', '/cluster/ha/resources');
  const r = all.find((x) => x.sid === sid);
  return r === undefined ? undefined : canonical(r.state ?? 'started');
}

/**
 * Puts an HA resource's requested state back to what it was before the run (the shutdown sets HA guests to
 * `stopped`); nothing when it already is, so a cluster that restored itself is left alone.
 */
export async function restoreHaState(
  call: PveCaller,
  name: string,
  sid: string,
  before: string,
): Promise<string | undefined> {
  if (!HA_STATES.has(before)) {
    throw new PveError(
      ErrorCode.DriverFailure,
      `${name}: recorded HA state '${peerText(before)}' is not one ha-manager knows`,
    );
  }
  const now = await haStateOf(call, sid);
  if (now === undefined) {
    throw new PveError(
      ErrorCode.DriverNotFound,
      `${name}: HA resource ${sid} no longer exists; its state ${before} cannot be put back`,
    );
  }
  if (now === canonical(before)) return undefined;
  await call('PUT', `/cluster/ha/resources/${sid}`, { state: canonical(before) });
  return `${name}: HA resource ${sid} set back from ${now} to ${canonical(before)}`;
}

/**
 * A node is ready when the cluster lists it online and the cluster is quorate: without quorum /etc/pve is read-only
 * and neither HA nor a guest start will work. A single node outside any cluster has no `cluster` entry and no quorum
 * to wait for.
 */
export async function nodeReadiness(call: PveCaller, node: string): Promise<HostReadiness> {
  let status: ClusterStatusEntry[];
  try {
    status = await call<ClusterStatusEntry[]>('GET', '/cluster/status');
  } catch (err) {
    return { ready: false, message: `${node}: the Proxmox API does not answer (${errorMessage(err)})` };
  }
  const entry = status.find((e) => e.type === 'node' && e.name === node);
  if (!entry) return { ready: false, message: `${node}: not a member of the cluster` };
  if (entry.online !== 1) return { ready: false, message: `${node}: node offline` };
  const cluster = status.find((e) => e.type === 'cluster');
  if (!cluster) return { ready: true, message: `${node}: node online (standalone, no quorum needed)` };
  if (cluster.quorate !== 1)
    return { ready: false, message: `${node}: node online, cluster ${cluster.name} not quorate` };
  return { ready: true, message: `${node}: node online, cluster quorate` };
}
