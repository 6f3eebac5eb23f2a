import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN, TOKEN_ID } from './pve-contract-server.js';
import { selfSignedCert } from './self-signed.js';

/**
 * The Proxmox VE routes `devices attach` uses, beside pve-contract-server.ts (which has no hook for more routes):
 * password login (POST /access/ticket → ticket + CSRFPreventionToken), GET /cluster/resources?type=vm, and a QEMU
 * VM's config (GET, and PUT with `args`, `delete`, `digest`). Written from qemu-server's API: a PUT whose `digest`
 * is not the config's current one is refused ("detected modified configuration"), and `args` may be set by the
 * user root@pam alone: `check_vm_modify_config_perm` returns early for `$authuser eq 'root@pam'` and otherwise dies
 * "only root can set 'args' config", which an API token (authuser `USER@REALM!ID`) always reaches.
 */
export interface PveQemuVm {
  vmid: number;
  node: string;
  name: string;
  status: 'running' | 'stopped';
  args?: string;
}

export const ROOT_PASSWORD = 'correct horse battery staple';

export async function startPveQemuConfig(vms: PveQemuVm[]): Promise<{
  url: string;
  fingerprint: string;
  vms: PveQemuVm[];
  writes: { user: string; params: Record<string, string> }[];
  close: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'pve-qemu-config-'));
  const files = selfSignedCert(dir, 'pve1');
  const cert = readFileSync(files.cert);
  const tickets = new Map<string, { user: string; csrf: string }>();
  const writes: { user: string; params: Record<string, string> }[] = [];
  const digestOf = (vm: PveQemuVm): string =>
    createHash('sha1')
      .update(JSON.stringify([vm.name, vm.args ?? null]))
      .digest('hex');
  const server = https.createServer({ key: readFileSync(files.key), cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const params = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? url.search : body));
      const path = decodeURIComponent(url.pathname.replace(/^\/api2\/json/, ''));
      const send = (status: number, data: unknown, message = ''): void => {
        res.writeHead(status, message, { 'content-type': 'application/json;charset=UTF-8' });
        res.end(JSON.stringify(status === 200 ? { data } : { data: null, message }));
      };
      if (req.method === 'POST' && path === '/access/ticket') {
        if (params.username !== 'root@pam' || params.password !== ROOT_PASSWORD) {
          send(401, null, 'authentication failure');
          return;
        }
        const ticket = `PVE:root@pam:${randomBytes(8).toString('hex').toUpperCase()}::sig`;
        const csrf = `${randomBytes(4).toString('hex')}:${randomBytes(16).toString('base64')}`;
        tickets.set(ticket, { user: 'root@pam', csrf });
        send(200, { ticket, CSRFPreventionToken: csrf, username: 'root@pam' });
        return;
      }
      let user: string | undefined;
      const token = /^PVEAPIToken=([^=]+)=(.+)$/.exec(req.headers.authorization ?? '');
      if (token && token[1] === TOKEN_ID && token[2] === TOKEN) user = TOKEN_ID;
      const cookie = /(?:^|;\s*)PVEAuthCookie=([^;]+)/.exec(req.headers.cookie ?? '');
      const session = cookie ? tickets.get(decodeURIComponent(cookie[1]!)) : undefined;
      if (session) {
        if (req.method !== 'GET' && req.headers.csrfpreventiontoken !== session.csrf) {
          send(401, null, 'Permission check failed (invalid csrf token)');
          return;
        }
        user = session.user;
      }
      if (user === undefined) {
        send(401, null, 'authentication failure');
        return;
      }
      if (req.method === 'GET' && path === '/cluster/resources') {
        const rows = vms.map((v) => ({ id: `qemu/${v.vmid}`, type: 'qemu', ...v, args: undefined }));
        send(200, params.type === undefined || params.type === 'vm' ? rows : []);
        return;
      }
      const r = /^\/nodes\/([^/]+)\/qemu\/(\d+)\/config$/.exec(path);
      const vm = r ? vms.find((v) => v.node === r[1] && String(v.vmid) === r[2]) : undefined;
      if (r && !vm) {
        send(500, null, `Configuration file 'nodes/${r[1]}/qemu-server/${r[2]}.conf' does not exist`);
        return;
      }
      if (vm && req.method === 'GET') {
        send(200, { name: vm.name, ...(vm.args === undefined ? {} : { args: vm.args }), digest: digestOf(vm) });
        return;
      }
      if (vm && req.method === 'PUT') {
        const deletes = (params.delete ?? '').split(/[,;\s]+/).filter((x) => x !== '');
        if ((params.args !== undefined || deletes.includes('args')) && user !== 'root@pam') {
          send(500, null, "only root can set 'args' config");
          return;
        }
        if (params.digest !== undefined && params.digest !== digestOf(vm)) {
          send(500, null, 'detected modified configuration - file changed by other user? Try again.');
          return;
        }
        writes.push({ user, params });
        if (deletes.includes('args')) delete vm.args;
        if (params.args !== undefined) vm.args = params.args;
        send(200, null);
        return;
      }
      send(501, null, `Method '${req.method ?? ''} ${path}' not implemented`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    fingerprint: new X509Certificate(cert).fingerprint256,
    vms,
    writes,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
}
