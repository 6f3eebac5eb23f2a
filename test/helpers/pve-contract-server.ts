import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from './self-signed.js';

/**
 * A stand-in for the Proxmox VE API, written from its published API (paths, parameters, `{data}` replies, UPIDs, task
 * status, HA resources): no real PVE can run here, so the driver is tested against this contract. It serves HTTPS
 * with a self-signed certificate, as pveproxy does out of the box.
 *
 * Replies taken from the PVE API viewer / pve-docs for the restore side: GET /cluster/status lists a `type: cluster`
 * entry (name, nodes, quorate 0|1, version) and one `type: node` entry per member (name, id `node/NAME`, nodeid, ip,
 * local, online 0|1); GET /cluster/ha/resources lists {sid, type, state, max_restart, max_relocate, digest}, sids
 * `vm:ID` / `ct:ID`; PUT /cluster/ha/resources/{sid} takes `state` (started|stopped|enabled|disabled|ignored, enabled
 * an alias of started) and returns null; a guest config carries `onboot: 1`; POST …/status/start returns a UPID. A
 * start of a guest already running ends its task with `VM ID already running` (qemu-server's vm_start, which dies
 * inside the worker).
 */
export interface PveGuest {
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name: string;
  status: 'running' | 'stopped';
  startup?: string;
  ha?: boolean;
  /** The HA resource's requested state (`started` when left out), as PUT /cluster/ha/resources/{sid} sets it. */
  haState?: string;
  /** `onboot: 1` in its config. */
  onboot?: boolean;
  ignoresAcpi?: boolean;
  template?: boolean;
  /** `agent: 1` in the VM's config, and whether the agent inside answers. */
  agent?: 'running' | 'not-running';
}

export interface PveCall {
  method: string;
  path: string;
  params: Record<string, string>;
}

export const TOKEN_ID = 'upsguard@pve!shutdown';
export const TOKEN = '3f6a2c1e-8d4b-4c55-9a0e-6b1f2d3c4e5f';
export const READONLY_TOKEN_ID = 'viewer@pve!ro';

export async function startPveContract(guests: PveGuest[]): Promise<{
  url: string;
  fingerprint: string;
  calls: PveCall[];
  guests: PveGuest[];
  nodes: { node: string; status: 'online' | 'offline' }[];
  failNextStop: (message: string) => void;
  /** The next start task fails with `message`; with `startedMeanwhile` the guest is running when it ends (a race). */
  failNextStart: (message: string, startedMeanwhile?: boolean) => void;
  /** The cluster's quorum as /cluster/status reports it; `standalone` drops the cluster entry (a lone node). */
  cluster: { name: string; quorate: boolean; standalone: boolean };
  /** Tasks started and not yet finished (their UPID's status is still `running`). */
  runningTasks: () => number;
  close: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'pve-contract-'));
  const files = selfSignedCert(dir, 'pve1');
  const cert = readFileSync(files.cert);
  const fingerprint = new X509Certificate(cert).fingerprint256;
  const calls: PveCall[] = [];
  const nodes: { node: string; status: 'online' | 'offline' }[] = [
    { node: 'pve1', status: 'online' },
    { node: 'pve2', status: 'online' },
  ];
  const cluster = { name: 'lab', quorate: true, standalone: false };
  const tasks = new Map<string, { done: boolean; exit: string }>();
  let stopFailure: string | null = null;
  let startFailure: { message: string; startedMeanwhile: boolean } | null = null;
  let seq = 0;
  const task = (
    node: string,
    kind: string,
    vmid: number | string,
    ms: number,
    exit = 'OK',
    then?: () => void,
  ): string => {
    const upid = `UPID:${node}:0000${(++seq).toString(16).padStart(4, '0')}:00000000:00000000:${kind}:${vmid}:${TOKEN_ID}:`;
    tasks.set(upid, { done: false, exit });
    setTimeout(() => {
      tasks.set(upid, { done: true, exit });
      then?.();
    }, ms).unref();
    return upid;
  };
  const later = (ms: number, fn: () => void): void => {
    setTimeout(fn, ms).unref();
  };

  const server = https.createServer({ key: readFileSync(files.key), cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const params = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? url.search : body));
      const path = decodeURIComponent(url.pathname.replace(/^\/api2\/json/, ''));
      calls.push({ method: req.method ?? '', path, params });
      const send = (status: number, data: unknown, message?: string): void => {
        res.writeHead(status, message ?? '', { 'content-type': 'application/json;charset=UTF-8' });
        res.end(JSON.stringify(status === 200 ? { data } : { data: null, message }));
      };
      const auth = req.headers.authorization ?? '';
      const m = /^PVEAPIToken=([^=]+)=(.+)$/.exec(auth);
      if (!m || (m[1] !== TOKEN_ID && m[1] !== READONLY_TOKEN_ID) || m[2] !== TOKEN) {
        send(401, null, 'invalid token value!');
        return;
      }
      const readOnly = m[1] === READONLY_TOKEN_ID;
      const guestAt = (node: string, type: string, vmid: string): PveGuest | undefined =>
        guests.find((g) => g.node === node && g.type === type && String(g.vmid) === vmid);
      let r: RegExpExecArray | null;
      if (req.method === 'GET' && path === '/version') {
        send(200, { version: '8.2.4', release: '8.2', repoid: 'faa83925' });
        return;
      }
      if (req.method === 'GET' && path === '/nodes') {
        send(
          200,
          nodes.map((n) => ({ ...n, type: 'node', id: `node/${n.node}` })),
        );
        return;
      }
      if (req.method === 'GET' && path === '/cluster/resources') {
        send(
          200,
          guests.map((g) => ({
            id: `${g.type}/${g.vmid}`,
            type: g.type,
            node: g.node,
            vmid: g.vmid,
            name: g.name,
            status: g.status,
            template: g.template ? 1 : 0,
            ...(g.ha ? { hastate: g.haState ?? 'started' } : {}),
          })),
        );
        return;
      }
      if ((r = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/(config|status\/current)$/.exec(path)) && req.method === 'GET') {
        const g = guestAt(r[1]!, r[2]!, r[3]!);
        if (!g) {
          send(
            500,
            null,
            `Configuration file 'nodes/${r[1]}/${r[2] === 'qemu' ? 'qemu-server' : 'lxc'}/${r[3]}.conf' does not exist`,
          );
          return;
        }
        send(
          200,
          r[4] === 'config'
            ? {
                name: g.name,
                ...(g.startup ? { startup: g.startup } : {}),
                ...(g.agent ? { agent: '1' } : {}),
                ...(g.onboot ? { onboot: 1 } : {}),
              }
            : { status: g.status, vmid: g.vmid, ha: { managed: g.ha ? 1 : 0 } },
        );
        return;
      }
      if (
        (r = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/status\/(shutdown|stop|start)$/.exec(path)) &&
        req.method === 'POST'
      ) {
        const g = guestAt(r[1]!, r[2]!, r[3]!);
        if (!g) {
          send(500, null, `Configuration file 'nodes/${r[1]}/${r[2]}/${r[3]}.conf' does not exist`);
          return;
        }
        if (readOnly) {
          send(403, null, `Permission check failed (/vms/${g.vmid}, VM.PowerMgmt)`);
          return;
        }
        if ('forceStop' in params && params.forceStop !== '0' && params.forceStop !== '1') {
          send(400, null, 'Parameter verification failed. forceStop: type check (boolean) failed');
          return;
        }
        if (r[4] === 'shutdown') {
          send(
            200,
            task(g.node, r[2] === 'qemu' ? 'qmshutdown' : 'vzshutdown', g.vmid, 150, 'OK', () => {
              if (!g.ignoresAcpi) g.status = 'stopped';
            }),
          );
          return;
        }
        if (r[4] === 'stop') {
          const exit = stopFailure ?? 'OK';
          stopFailure = null;
          send(
            200,
            task(g.node, r[2] === 'qemu' ? 'qmstop' : 'vzstop', g.vmid, 100, exit, () => {
              if (exit === 'OK') g.status = 'stopped';
            }),
          );
          return;
        }
        const failure = startFailure;
        startFailure = null;
        const exit = failure?.message ?? (g.status === 'running' ? `VM ${g.vmid} already running` : 'OK');
        send(
          200,
          task(g.node, r[2] === 'qemu' ? 'qmstart' : 'vzstart', g.vmid, 100, exit, () => {
            if (failure === null || failure.startedMeanwhile) g.status = 'running';
          }),
        );
        return;
      }
      if ((r = /^\/nodes\/([^/]+)\/qemu\/(\d+)\/agent\/ping$/.exec(path)) && req.method === 'POST') {
        const g = guestAt(r[1]!, 'qemu', r[2]!);
        if (!g?.agent) {
          send(500, null, 'No QEMU guest agent configured');
          return;
        }
        if (g.agent === 'not-running' || g.status !== 'running') {
          send(500, null, 'QEMU guest agent is not running');
          return;
        }
        send(200, {});
        return;
      }
      if ((r = /^\/nodes\/([^/]+)\/tasks\/(.+)\/status$/.exec(path)) && req.method === 'GET') {
        const t = tasks.get(r[2]!);
        if (!t) {
          send(500, null, `no such task '${r[2]}'`);
          return;
        }
        send(200, t.done ? { status: 'stopped', exitstatus: t.exit } : { status: 'running' });
        return;
      }
      const sidOf = (g: PveGuest): string => `${g.type === 'lxc' ? 'ct' : 'vm'}:${g.vmid}`;
      if (req.method === 'GET' && path === '/cluster/status') {
        const members = nodes.map((n, i) => ({
          type: 'node',
          id: `node/${n.node}`,
          name: n.node,
          nodeid: i + 1,
          ip: `192.0.2.${i + 1}`,
          local: i === 0 ? 1 : 0,
          online: n.status === 'online' ? 1 : 0,
          level: '',
        }));
        const head = { type: 'cluster', id: 'cluster', name: cluster.name, nodes: nodes.length, version: 4 };
        send(200, cluster.standalone ? members : [{ ...head, quorate: cluster.quorate ? 1 : 0 }, ...members]);
        return;
      }
      if (req.method === 'GET' && path === '/cluster/ha/resources') {
        send(
          200,
          guests
            .filter((g) => g.ha)
            .map((g) => ({
              sid: sidOf(g),
              type: g.type === 'lxc' ? 'ct' : 'vm',
              state: g.haState ?? 'started',
              max_restart: 1,
              max_relocate: 1,
              digest: 'c7d2a9f0e1b3c4d5e6f708192a3b4c5d6e7f8091',
            })),
        );
        return;
      }
      if ((r = /^\/cluster\/ha\/resources\/((?:vm|ct):\d+)$/.exec(path)) && req.method === 'PUT') {
        const g = guests.find((x) => sidOf(x) === r![1] && x.ha);
        if (!g) {
          send(500, null, `cannot find service '${r[1]}'`);
          return;
        }
        if (readOnly) {
          send(403, null, `Permission check failed (/vms/${g.vmid}, VM.PowerMgmt)`);
          return;
        }
        const state = params.state;
        if (state !== undefined && !['started', 'stopped', 'enabled', 'disabled', 'ignored'].includes(state)) {
          send(
            400,
            null,
            `Parameter verification failed. state: value '${state}' does not have a value in the enumeration 'started, stopped, enabled, disabled, ignored'`,
          );
          return;
        }
        if (state !== undefined) g.haState = state === 'enabled' ? 'started' : state;
        if (state === 'stopped' || state === 'disabled') later(150, () => (g.status = 'stopped'));
        if (state === 'started' || state === 'enabled') later(150, () => (g.status = 'running'));
        send(200, null);
        return;
      }
      if ((r = /^\/nodes\/([^/]+)\/status$/.exec(path)) && req.method === 'POST') {
        const n = nodes.find((x) => x.node === r![1]);
        if (!n) {
          send(500, null, `no such node '${r[1]}'`);
          return;
        }
        if (params.command !== 'shutdown' && params.command !== 'reboot') {
          send(400, null, 'Parameter verification failed. command');
          return;
        }
        later(200, () => (n.status = 'offline'));
        send(200, null);
        return;
      }
      send(501, null, `Method '${req.method ?? ''} ${path}' not implemented`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    fingerprint,
    calls,
    guests,
    nodes,
    failNextStop: (message) => {
      stopFailure = message;
    },
    failNextStart: (message, startedMeanwhile = false) => {
      startFailure = { message, startedMeanwhile };
    },
    cluster,
    runningTasks: () => [...tasks.values()].filter((t) => !t.done).length,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
