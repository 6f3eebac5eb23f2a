import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { shutdownFacade } from '../../src/app/shutdown-facade.js';
import { renderMetrics } from '../../src/integrations/metrics/render.js';
import type { RelayStatus } from '../../src/ups/transport/relay-transport.js';
import type { WatchedUps } from '../../src/web/deps.js';
import { startSimApp } from '../helpers/demo-app.js';
import { smallClusterShutdown } from '../helpers/small-cluster.js';
import { until } from '../helpers/until.js';

const DASHBOARD = new URL('../../deploy/grafana-upsguard.json', import.meta.url);

let app: App;
beforeAll(async () => {
  const shutdown = smallClusterShutdown({ plan: 'lab', vms: [{ name: 'vm1', shutdown_s: 0.1 }] });
  app = await startSimApp({
    device: 'cyberpower-cp1500pfclcd',
    extra: { shutdown, monitor: { quick_interval_s: 0.25 } },
  });
  await until('a first decision', () => app.shutdown()?.decision());
});
afterAll(async () => {
  await app.stop();
});

/** Metric names in a scrape (the series lines, not the comments). */
function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Every PromQL expression in a dashboard (panel targets and template queries). */
function expressions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) expressions(n, out);
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'expr' || k === 'definition') && typeof v === 'string') out.push(v);
      else expressions(v, out);
    }
  }
  return out;
}

describe('deploy/grafana-upsguard.json', () => {
  test('valid JSON whose every expression names only metrics upsguard exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: unknown[]; templating: unknown };
    expect(dashboard.panels.length).toBeGreaterThan(10);

    // What a full appliance exports: the sim app after a dry run, plus a relayed UPS (the sim app has none).
    const f = shutdownFacade(app.shutdown()!);
    const { done } = await f.startRun('dry', 'grafana test');
    await done;
    // On battery, so the policy has a reason to export.
    app.simulated('sim1')!.setMains(false);
    await until('a policy reason', () => (app.shutdown()?.decision()?.reasons.length ?? 0) > 0);
    const handle = app.handles()[0]!;
    const relay: RelayStatus = {
      url: 'relay://agent:7788/ups',
      agentHost: 'agent',
      link: 'connected',
      device: 'attached',
      rttMs: 3,
      lastSeq: 1,
      controller: true,
      claim: 'controller',
      claimProblem: null,
      problem: null,
    };
    const relayed: WatchedUps = { ...handle, name: 'relayed', diagnostics: () => ({ relay }) };
    const nut = {
      state: 'listening' as const,
      host: '127.0.0.1',
      port: 3493,
      reason: null,
      clients: [],
      ups: [{ name: 'sim1', fsd: false, logins: 0 }],
    };
    const { text } = await renderMetrics({
      ups: [handle, relayed],
      shutdown: f,
      nut: () => nut,
      store: () => ({ state: 'ok', path: '/x.db' }),
      storeSizeBytes: () => 4096,
      now: () => Date.now(),
    });
    const exported = namesIn(text);

    const exprs = expressions(dashboard);
    expect(exprs.length).toBeGreaterThan(30);
    const missing: string[] = [];
    for (const e of exprs) {
      const named = e.match(/\b(network_ups_tools_|upsguard_)[a-zA-Z0-9_:]*/g) ?? [];
      expect(named.length, `names a metric: ${e}`).toBeGreaterThan(0);
      for (const n of named) if (!exported.has(n)) missing.push(`${n} (in ${e})`);
    }
    expect(missing).toEqual([]);
  });
});
