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
 */
export interface PveGuest {
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name: string;
  status: 'running' | 'stopped';
  startup?: string;
  ha?: boolean;
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
  const tasks = new Map<string, { done: boolean; exit: string }>();
  let stopFailure: string | null = null;
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
            ...(g.ha ? { hastate: 'started' } : {}),
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
            ? { name: g.name, ...(g.startup ? { startup: g.startup } : {}), ...(g.agent ? { agent: '1' } : {}) }
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
        send(
          200,
          task(g.node, 'qmstart', g.vmid, 100, 'OK', () => (g.status = 'running')),
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
      if ((r = /^\/cluster\/ha\/resources\/vm:(\d+)$/.exec(path)) && req.method === 'PUT') {
        const g = guests.find((x) => String(x.vmid) === r![1] && x.ha);
        if (!g) {
          send(500, null, `cannot find service 'vm:${r[1]}'`);
          return;
        }
        if (params.state === 'stopped') later(150, () => (g.status = 'stopped'));
        if (params.state === 'started') later(150, () => (g.status = 'running'));
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
    runningTasks: () => [...tasks.values()].filter((t) => !t.done).length,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
