import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../../helpers/self-signed.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proxmoxDriverSchema } from '../../../src/config/driver-schema.js';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { shutdownSchema } from '../../../src/config/shutdown-schema.js';
import { ProxmoxDriver, startupOrder } from '../../../src/shutdown/drivers/proxmox.js';
import { Estimates } from '../../../src/shutdown/estimates.js';
import { resolvePlan } from '../../../src/shutdown/plan.js';
import { ShutdownRunner } from '../../../src/shutdown/runner.js';
import { openDatabase } from '../../../src/store/database.js';
import { RunsStore } from '../../../src/store/shutdown-runs.js';
import { ManualClock, systemClock } from '../../../src/util/clock.js';
import { FakeUps } from '../fixtures.js';
import {
  READONLY_TOKEN_ID,
  TOKEN,
  TOKEN_ID,
  startPveContract,
  type PveGuest,
} from '../../helpers/pve-contract-server.js';
import { until } from '../../helpers/until.js';

// Contract tests: written from Proxmox VE's published API; no real Proxmox VE can run on this machine.
type Server = Awaited<ReturnType<typeof startPveContract>>;
let pve: Server;

const guests = (): PveGuest[] => [
  { vmid: 101, type: 'qemu', node: 'pve1', name: 'web', status: 'running', startup: 'order=3,up=10', agent: 'running' },
  { vmid: 102, type: 'qemu', node: 'pve1', name: 'win', status: 'running', ignoresAcpi: true, agent: 'not-running' },
  { vmid: 103, type: 'qemu', node: 'pve2', name: 'db', status: 'running', ha: true, startup: 'order=1' },
  { vmid: 200, type: 'lxc', node: 'pve2', name: 'dns', status: 'running' },
  { vmid: 9000, type: 'qemu', node: 'pve1', name: 'tmpl', status: 'stopped', template: true },
];

beforeEach(async () => {
  pve = await startPveContract(guests());
});
afterEach(async () => {
  await pve.close();
});

function driver(over: Record<string, unknown> = {}): ProxmoxDriver {
  const cfg = proxmoxDriverSchema.parse({
    name: 'pve',
    kind: 'proxmox',
    url: pve.url,
    token_id: TOKEN_ID,
    token: TOKEN,
    fingerprint_sha256: pve.fingerprint,
    task_poll_ms: 20,
    ...over,
  });
  return new ProxmoxDriver(cfg, '/', createLogger({ level: 'silent' }));
}

const errorOf = async (p: Promise<unknown>): Promise<UpsguardError> => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UpsguardError);
  return e as UpsguardError;
};

describe('Proxmox VE driver (contract tests against the published API)', () => {
  it('discovers nodes and guests cluster-wide, QEMU and LXC, with HA, startup order and guest agent as tags; templates skipped', async () => {
    const d = driver();
    const targets = await d.discover();
    expect(targets.filter((t) => t.kind === 'host').map((t) => t.name)).toEqual(['pve1', 'pve2']);
    const vms = targets.filter((t) => t.kind === 'vm');
    expect(vms.map((t) => [t.name, t.host, t.tags])).toEqual([
      ['web', 'pve1', ['qemu', 'vmid:101', 'pve-order:3', 'tools']],
      ['win', 'pve1', ['qemu', 'vmid:102', 'no-tools']],
      ['db', 'pve2', ['qemu', 'vmid:103', 'ha', 'pve-order:1', 'no-tools']],
      ['dns', 'pve2', ['lxc', 'vmid:200']],
    ]);
    expect(await d.check()).toEqual([{ ok: true, message: 'Proxmox VE 8.2.4: 6 targets visible' }]);
    expect(startupOrder('up=30,order=12,down=60')).toBe(12);
  });

  it('shuts QEMU and LXC guests down with their shutdown task (forceStop=0: the runner decides the hard stop)', async () => {
    const d = driver();
    const targets = await d.discover();
    for (const name of ['web', 'dns']) {
      const t = targets.find((x) => x.name === name)!;
      expect(await d.powerState(t)).toBe('on');
      await d.shutdown(t);
      expect(await d.powerState(t)).toBe('stopping');
      await until(`${name} off`, async () => (await d.powerState(t)) === 'off', 5000, 20);
    }
    expect(pve.calls.filter((c) => c.path.endsWith('/status/shutdown'))).toEqual([
      { method: 'POST', path: '/nodes/pve1/qemu/101/status/shutdown', params: { timeout: '180', forceStop: '0' } },
      { method: 'POST', path: '/nodes/pve2/lxc/200/status/shutdown', params: { timeout: '180', forceStop: '0' } },
    ]);
  });

  it('takes an HA-managed guest down through its HA resource, so HA does not restart it on another node', async () => {
    const d = driver();
    const db = (await d.discover()).find((t) => t.name === 'db')!;
    await d.shutdown(db);
    await until('db off', async () => (await d.powerState(db)) === 'off', 5000, 20);
    expect(pve.calls.filter((c) => c.method !== 'GET' && !c.path.endsWith('/agent/ping'))).toEqual([
      { method: 'PUT', path: '/cluster/ha/resources/vm:103', params: { state: 'stopped' } },
    ]);
  });

  it('a guest that ignores ACPI stays on until the hard stop, whose task is awaited; a failed stop task is an error', async () => {
    const d = driver();
    const win = (await d.discover()).find((t) => t.name === 'win')!;
    await d.shutdown(win);
    // Its shutdown task has ended (as PVE's does when the guest ignores ACPI), and the guest is still running.
    await until(
      'the shutdown task of win to end',
      () => pve.calls.some((c) => c.path === '/nodes/pve1/qemu/102/status/shutdown') && pve.runningTasks() === 0,
      5000,
      20,
    );
    expect(await d.powerState(win)).toBe('stopping');
    pve.failNextStop("VM 102 qmp command 'quit' failed - got timeout");
    const failed = await errorOf(d.powerOff(win));
    expect(failed.code).toBe(ErrorCode.DriverFailure);
    expect(failed.message).toMatch(/failed: VM 102 qmp command 'quit' failed - got timeout/);
    await d.powerOff(win);
    expect(await d.powerState(win)).toBe('off');
    expect(pve.calls.filter((c) => c.path.endsWith('/status/stop')).at(-1)?.params).toEqual({
      'overrule-shutdown': '1',
    });
  });

  it('shuts a node down with status command=shutdown and reads it off once the cluster sees it offline', async () => {
    const d = driver();
    const node = (await d.discover()).find((t) => t.name === 'pve2')!;
    await d.shutdown(node);
    expect(await d.powerState(node)).toBe('stopping');
    await until('pve2 off', async () => (await d.powerState(node)) === 'off', 5000, 20);
    expect(pve.calls.find((c) => c.path === '/nodes/pve2/status')).toEqual({
      method: 'POST',
      path: '/nodes/pve2/status',
      params: { command: 'shutdown' },
    });
    expect((await errorOf(d.powerOff(node))).message).toMatch(/cannot be powered off through the API/);
  });

  it('names what went wrong: token, permission, certificate (before sending the token), unreachable, missing guest', async () => {
    expect((await errorOf(driver({ token: 'wrong-token' }).discover())).code).toBe(ErrorCode.DriverAuth);

    const ro = driver({ token_id: READONLY_TOKEN_ID });
    const web = (await ro.discover()).find((t) => t.name === 'web')!;
    const denied = await errorOf(ro.shutdown(web));
    expect(denied.code).toBe(ErrorCode.DriverPermission);
    expect(denied.message).toMatch(/Permission check failed \(\/vms\/101, VM\.PowerMgmt\)/);

    const before = pve.calls.length;
    const pinned = await errorOf(driver({ fingerprint_sha256: 'AA:'.repeat(31) + 'AA' }).discover());
    expect(pinned.code).toBe(ErrorCode.DriverCertificate);
    expect(pinned.message).toMatch(/does not match the pinned fingerprint/);
    expect(pve.calls.length).toBe(before);

    const unreachable = await errorOf(driver({ url: 'https://127.0.0.1:1' }).discover());
    expect(unreachable.code).toBe(ErrorCode.DriverUnreachable);

    const d = driver();
    await d.discover();
    pve.guests.splice(
      pve.guests.findIndex((g) => g.name === 'dns'),
      1,
    );
    const gone = await errorOf(
      d.powerState({ driver: 'pve', name: 'dns', kind: 'vm', host: 'pve2', tags: [], macs: [] }),
    );
    expect(gone.code).toBe(ErrorCode.DriverNotFound);
  });

  it("offers the guests' own startup order as the default order: unordered first, then the highest order down", async () => {
    const d = driver();
    const targets = await d.discover();
    const cfg = shutdownSchema.parse({
      drivers: [{ name: 'pve', kind: 'proxmox', url: pve.url, token_id: TOKEN_ID, token: TOKEN, insecure: true }],
      plan: {
        name: 'pve',
        ups_host: 'pve1',
        phases: [
          { name: 'guests', targets: [{ driver: 'pve', kind: 'vm', tags: ['qemu', 'lxc'] }], timeout_s: 5 },
          { name: 'nodes', targets: [{ driver: 'pve', names: ['pve2'] }], timeout_s: 5 },
        ],
      },
      poll_interval_ms: 50,
      default_estimate_s: { vm: 1, host: 1 },
    });
    const journal = new RunsStore(openDatabase(':memory:'));
    const estimates = new Estimates(journal.durations(), { vm: 1000, host: 1000 });
    const plan = resolvePlan(cfg, targets, { macs: [], hostname: 'appliance' }, estimates, 'ups1');
    expect(plan.phases.map((p) => [p.name, p.targets.map((t) => t.name)])).toEqual([
      ['guests', ['win', 'dns']],
      ['guests (order 3)', ['web']],
      ['guests (order 1)', ['db']],
      ['nodes', ['pve2']],
    ]);
    // The opt-out keeps one phase.
    const flat = resolvePlan(
      { ...cfg, plan: { ...cfg.plan!, phases: cfg.plan!.phases.map((p) => ({ ...p, startup_order: false })) } },
      targets,
      { macs: [], hostname: 'appliance' },
      estimates,
      'ups1',
    );
    expect(flat.phases.map((p) => p.name)).toEqual(['guests', 'nodes']);

    // And the runner follows it against the API: web's shutdown is sent only after win and dns are off.
    const runner = new ShutdownRunner({
      journal,
      drivers: new Map([['pve', d]]),
      clock: systemClock,
      log: createLogger({ level: 'silent' }),
      ups: new FakeUps(new ManualClock(0)),
      timings: { pollIntervalMs: 50, callTimeoutMs: 5000, hardOffTimeoutMs: 5000 },
      estimateSamples: 5,
      notify: () => undefined,
    });
    const { done } = runner.start(plan, { mode: 'real', reason: 'contract test' });
    expect((await done).status).toBe('completed');
    const powerCalls = pve.calls
      .filter((c) => c.method !== 'GET' && !c.path.endsWith('/agent/ping'))
      .map((c) => c.path);
    const at = (path: string): number => powerCalls.indexOf(path);
    expect(at('/nodes/pve1/qemu/101/status/shutdown')).toBeGreaterThan(at('/nodes/pve2/lxc/200/status/shutdown'));
    expect(at('/cluster/ha/resources/vm:103')).toBeGreaterThan(at('/nodes/pve1/qemu/101/status/shutdown'));
    expect(at('/nodes/pve2/status')).toBeGreaterThan(at('/cluster/ha/resources/vm:103'));
  }, 30_000);

  it('refuses a config without the token secret or with no single way to trust the node', () => {
    const r = proxmoxDriverSchema.safeParse({
      name: 'p',
      kind: 'proxmox',
      url: 'https://pve:8006',
      token_id: TOKEN_ID,
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'token_file: the API token secret is required (token_file or token_env)',
      'fingerprint_sha256: give exactly one of fingerprint_sha256, ca_file or insecure: true',
    ]);
  });
});

describe('Proxmox VE driver: its token never reaches an error', () => {
  let echo: { url: string; close: () => Promise<void> } | null = null;
  afterEach(async () => {
    await echo?.close();
    echo = null;
  });

  /** A node that echoes the Authorization header back in a long error body, as a careless proxy would. */
  async function startEcho(status: number): Promise<string> {
    const files = selfSignedCert(mkdtempSync(join(tmpdir(), 'pve-echo-')), 'pve-echo');
    const server = createHttpsServer({ cert: readFileSync(files.cert), key: readFileSync(files.key) }, (req, res) => {
      res.statusCode = status;
      res.end(
        JSON.stringify({ data: null, message: `rejected ${req.headers.authorization ?? ''} ${'x'.repeat(5000)}` }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    echo = {
      url: `https://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
    return echo.url;
  }

  it.each([403, 404, 500])('an error body (HTTP %i) echoing the token is redacted and cut short', async (status) => {
    const url = await startEcho(status);
    const d = driver({ url, fingerprint_sha256: undefined, insecure: true });
    const e = await errorOf(d.discover());
    expect(e.message).toContain('[redacted]');
    expect(e.message).not.toContain(TOKEN);
    expect(e.message).not.toContain(TOKEN.slice(0, 12));
    expect(e.message.length).toBeLessThan(500);
    expect(String(e.stack)).not.toContain(TOKEN);
    const [check] = await d.check();
    expect(check?.message).not.toContain(TOKEN);
  });

  it('a failed task whose exit status echoes the token is redacted', async () => {
    const d = driver();
    const win = (await d.discover()).find((t) => t.name === 'win')!;
    pve.failNextStop(`stop failed: PVEAPIToken=${TOKEN_ID}=${TOKEN} ${'y'.repeat(2000)}`);
    const failed = await errorOf(d.powerOff(win));
    expect(failed.code).toBe(ErrorCode.DriverFailure);
    expect(failed.message).toMatch(/^task .* failed: stop failed: PVEAPIToken=upsguard@pve!shutdown=\[redacted\]/);
    expect(failed.message).not.toContain(TOKEN);
    expect(failed.message.length).toBeLessThan(500);
  });
});
