/**
 * The Proxmox driver's restore side against the contract stand-in (test/helpers/pve-contract-server.ts, written from
 * Proxmox VE's published API; no real PVE runs here): start tasks awaited and a running guest counted done, HA
 * resource state recorded and put back once, node readiness from /cluster/status (online and quorate), autostart
 * from `onboot` or the HA state.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { proxmoxDriverSchema } from '../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import type { Target } from '../../src/shutdown/drivers/driver.js';
import { ProxmoxDriver } from '../../src/shutdown/drivers/proxmox.js';
import { TOKEN, TOKEN_ID, startPveContract, type PveGuest } from '../helpers/pve-contract-server.js';
import { until } from '../helpers/until.js';

type Server = Awaited<ReturnType<typeof startPveContract>>;
let pve: Server;

const guests = (): PveGuest[] => [
  { vmid: 101, type: 'qemu', node: 'pve1', name: 'web', status: 'stopped', onboot: true },
  { vmid: 102, type: 'qemu', node: 'pve1', name: 'build', status: 'running' },
  { vmid: 103, type: 'qemu', node: 'pve2', name: 'db', status: 'running', ha: true },
  { vmid: 104, type: 'qemu', node: 'pve2', name: 'lab', status: 'stopped', ha: true, haState: 'stopped' },
  { vmid: 200, type: 'lxc', node: 'pve2', name: 'dns', status: 'running', ha: true, haState: 'started' },
];

// One server for the file (kept fast); each test resets the parts it changes.
beforeAll(async () => {
  pve = await startPveContract(guests());
});
afterAll(async () => {
  await pve.close();
});
beforeEach(() => {
  pve.guests.splice(0, pve.guests.length, ...guests());
  for (const n of pve.nodes) n.status = 'online';
  Object.assign(pve.cluster, { quorate: true, standalone: false });
  pve.calls.length = 0;
});

function driver(): ProxmoxDriver {
  const cfg = proxmoxDriverSchema.parse({
    name: 'pve',
    kind: 'proxmox',
    url: pve.url,
    token_id: TOKEN_ID,
    token: TOKEN,
    fingerprint_sha256: pve.fingerprint,
    task_poll_ms: 20,
  });
  return new ProxmoxDriver(cfg, '/', createLogger({ level: 'silent' }));
}

const byName = (ts: Target[], n: string): Target => {
  const t = ts.find((x) => x.name === n);
  if (!t) throw new Error(`${n} not discovered`);
  return t;
};
const guest = (name: string): PveGuest => {
  const g = pve.guests.find((x) => x.name === name);
  if (!g) throw new Error(name);
  return g;
};
const callsTo = (path: string): number => pve.calls.filter((c) => c.path === path && c.method !== 'GET').length;

describe('Proxmox restore (contract stand-in)', () => {
  it('starts a stopped guest with its start task, awaited, and counts a running one as done', async () => {
    const d = driver();
    const ts = await d.discover();
    await d.powerOn(byName(ts, 'web'));
    expect(guest('web').status).toBe('running'); // the task was awaited, not just accepted
    expect(await d.powerState(byName(ts, 'web'))).toBe('on');
    expect(callsTo('/nodes/pve1/qemu/101/status/start')).toBe(1);

    await d.powerOn(byName(ts, 'build')); // already running: no start task at all
    expect(callsTo('/nodes/pve1/qemu/102/status/start')).toBe(0);
  });

  it('counts a guest that came up while its start task ran as done (task "already running")', async () => {
    const d = driver();
    const ts = await d.discover();
    // onboot wins the race: the guest is running by the time the task runs, so the task fails as PVE's does.
    pve.failNextStart('VM 101 already running', true);
    await d.powerOn(byName(ts, 'web'));
    expect(callsTo('/nodes/pve1/qemu/101/status/start')).toBe(1);
    expect(guest('web').status).toBe('running');
  });

  it('rejects with the task exit status when a start task fails and the guest stays off', async () => {
    const d = driver();
    const ts = await d.discover();
    pve.failNextStart("can't activate LV '/dev/pve/vm-101-disk-0'");
    const err = await d.powerOn(byName(ts, 'web')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpsguardError);
    expect((err as UpsguardError).code).toBe(ErrorCode.DriverFailure);
    expect((err as UpsguardError).message).toContain("can't activate LV");
    expect(guest('web').status).toBe('stopped');
  });

  it('records HA state before the run and puts it back after the shutdown set it to stopped, once', async () => {
    const d = driver();
    const ts = await d.discover();
    const db = byName(ts, 'db');
    const before = await d.platformState(db);
    expect(before).toEqual({ haState: 'started' });
    expect(await d.platformState(byName(ts, 'lab'))).toEqual({ haState: 'stopped' });
    expect(await d.platformState(byName(ts, 'web'))).toEqual({}); // not HA-managed
    expect(await d.platformState(byName(ts, 'pve1'))).toEqual({});

    await d.shutdown(db); // PUT state=stopped
    expect(guest('db').haState).toBe('stopped');
    expect(await d.restorePlatform(db, before)).toBe('db: HA resource vm:103 set back from stopped to started');
    expect(guest('db').haState).toBe('started');
    await until('db running again', () => guest('db').status === 'running', 3000, 20);
    expect(await d.restorePlatform(db, before)).toBeUndefined(); // already holds
    expect(callsTo('/cluster/ha/resources/vm:103')).toBe(2); // the shutdown's and the one restore

    // A guest that was HA-stopped before the outage stays stopped.
    expect(await d.restorePlatform(byName(ts, 'lab'), { haState: 'stopped' })).toBeUndefined();
    expect(guest('lab').haState).toBe('stopped');
  });

  it('uses ct:ID for an HA container', async () => {
    const d = driver();
    const dns = byName(await d.discover(), 'dns');
    await d.shutdown(dns);
    expect(guest('dns').haState).toBe('stopped');
    expect(await d.restorePlatform(dns, { haState: 'started' })).toMatch(/ct:200 set back from stopped to started/);
  });

  it('rejects a recorded HA state ha-manager does not know, and a resource that has gone, with typed errors', async () => {
    const d = driver();
    const ts = await d.discover();
    const bad = await d.restorePlatform(byName(ts, 'db'), { haState: 'started; rm -rf' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UpsguardError);
    expect((bad as UpsguardError).code).toBe(ErrorCode.DriverFailure);
    guest('db').ha = false;
    const gone = await d.restorePlatform(byName(ts, 'db'), { haState: 'started' }).catch((e: unknown) => e);
    expect((gone as UpsguardError).code).toBe(ErrorCode.DriverNotFound);
    expect((gone as UpsguardError).message).toContain('vm:103');
  });

  it('any recorded HA state string: a known state or a typed error, never a PUT of an unknown one', async () => {
    const d = driver();
    const db = byName(await d.discover(), 'db');
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 20 }), async (s) => {
        const r = await d.restorePlatform(db, { haState: s }).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        );
        if (!r.ok) expect(r.e).toBeInstanceOf(UpsguardError);
        else expect(['started', 'stopped', 'enabled', 'disabled', 'ignored']).toContain(s);
      }),
      { numRuns: 40 },
    );
    const puts = pve.calls.filter((c) => c.method === 'PUT' && c.path.startsWith('/cluster/ha/resources/'));
    for (const c of puts) expect(['started', 'stopped', 'disabled', 'ignored']).toContain(c.params.state);
  });

  it('a node is ready when online and the cluster quorate; else not ready, with the reason', async () => {
    const d = driver();
    const ts = await d.discover();
    const pve2 = byName(ts, 'pve2');
    expect(await d.hostReady(pve2)).toEqual({ ready: true, message: 'pve2: node online, cluster quorate' });

    pve.nodes[1]!.status = 'offline';
    expect(await d.hostReady(pve2)).toEqual({ ready: false, message: 'pve2: node offline' });

    pve.nodes[1]!.status = 'online';
    pve.cluster.quorate = false;
    expect(await d.hostReady(pve2)).toEqual({ ready: false, message: 'pve2: node online, cluster lab not quorate' });

    pve.cluster.standalone = true;
    expect((await d.hostReady(pve2)).ready).toBe(true);
    const ghost: Target = { driver: 'pve', name: 'pve9', kind: 'host', tags: [], macs: [] };
    expect(await d.hostReady(ghost)).toEqual({ ready: false, message: 'pve9: not a member of the cluster' });
  });

  it('a node whose API does not answer is not ready, naming why, and the token is not in the message', async () => {
    const d = driver();
    const ts = await d.discover();
    const down = await startPveContract([]);
    await down.close();
    const cfg = proxmoxDriverSchema.parse({
      name: 'pve',
      kind: 'proxmox',
      url: down.url,
      token_id: TOKEN_ID,
      token: TOKEN,
      fingerprint_sha256: down.fingerprint,
      request_timeout_ms: 2000,
    });
    const gone = new ProxmoxDriver(cfg, '/', createLogger({ level: 'silent' }));
    const r = await gone.hostReady(byName(ts, 'pve1'));
    expect(r.ready).toBe(false);
    expect(r.message).toMatch(/^pve1: the Proxmox API does not answer/);
    expect(r.message).not.toContain(TOKEN);
  });

  it('autostart: onboot for plain guests, HA state started for HA guests', async () => {
    const d = driver();
    const ts = await d.discover();
    expect(await d.autostart(byName(ts, 'web'))).toBe(true);
    expect(await d.autostart(byName(ts, 'build'))).toBe(false);
    expect(await d.autostart(byName(ts, 'db'))).toBe(true);
    expect(await d.autostart(byName(ts, 'lab'))).toBe(false);
    expect(await d.autostart(byName(ts, 'pve1'))).toBeUndefined();
    // A fresh driver (the daily check's) discovers first rather than failing on an unknown guest.
    expect(await driver().autostart(byName(ts, 'web'))).toBe(true);
  });
});
