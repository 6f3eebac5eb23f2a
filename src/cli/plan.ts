import { loadConfig } from '../config/load.js';
import { errorMessage } from '../errors.js';
import { createLogger } from '../log.js';
import { PartList } from '../app/part.js';
import { StorePart } from '../app/store-part.js';
import { UpsPart } from '../app/ups-part.js';
import { ShutdownService } from '../shutdown/service.js';
import { systemClock } from '../util/clock.js';
import { parseOptions } from './args.js';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const secs = (ms: number): string => `${Math.round(ms / 100) / 10}`;

/**
 * `upsguard plan show|check [--config FILE]`: the resolved plan with each target's estimate, or a dry run of it that
 * exits 1 listing what failed. Both read and write the appliance's store (estimates, the dry run's journal).
 */
export async function runPlan(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'show' && sub !== 'check') {
    err('usage: upsguard plan show|check [--config FILE]');
    return 2;
  }
  const { options } = parseOptions(rest, { values: ['config'] });
  const loaded = loadConfig(typeof options.config === 'string' ? options.config : undefined);
  // The system clock's timers are unref'd (they must not hold a stopping appliance); this command waits on them.
  const keepAlive = setInterval(() => undefined, 60_000);
  const log = createLogger({ level: 'silent' });
  const baseDir = loaded.baseDir;
  // The same parts the appliance is built from: its store (estimates, the dry run's journal) and, for `check`, its
  // UPSes, read as the appliance reads them (mains, runtime left, the load-off's UPS). Readings are not kept.
  const parts = new PartList(log);
  try {
    const store = await parts.start(
      new StorePart({
        path: loaded.config.store.path,
        clock: systemClock,
        log,
        retryMs: 60_000,
        onHealth: () => undefined,
      }),
    );
    const ups =
      sub === 'check'
        ? await parts.start(
            new UpsPart({
              config: loaded.config,
              clock: systemClock,
              log,
              baseDir,
              recordSnapshot: () => undefined,
              recordEvent: (e) => ({ ...e, id: 0 }),
              onSnapshot: () => undefined,
              onEvent: () => undefined,
            }),
          )
        : null;
    const service = new ShutdownService({
      config: loaded.config,
      journal: store.runs,
      simPersistence: store.simPersistence,
      clock: systemClock,
      log,
      sources: ups?.handles() ?? [],
      recordEvent: () => undefined,
      baseDir,
    });
    const view = await service.refreshPlan();
    if (!view.plan || !view.estimate) {
      if (view.problems.length === 0) {
        err(`${loaded.source}: no shutdown.plan configured`);
        return 1;
      }
      err(
        `${loaded.source}: the plan is invalid (${view.problems.length} problem${view.problems.length === 1 ? '' : 's'})`,
      );
      for (const p of view.problems) err(`  [${p.rule}] ${p.message}`);
      return 1;
    }
    const plan = view.plan;
    const est = view.estimate;
    // A driver that cannot be reached is a check result: named, with its error, beside the plan of the rest.
    for (const u of view.unreachable) err(`driver ${u.driver}: unreachable (its targets are left out): ${u.error}`);
    if (sub === 'show') {
      const rows = [['phase', 'target', 'kind', 'host', 'method', 'timeout s', 'median s', 'p90 s', 'from']];
      for (const p of plan.phases) {
        for (const t of p.targets) {
          const e = est.targets.get(t.name);
          rows.push([
            p.name + (p.name === plan.pointOfNoReturn ? ' (point of no return)' : ''),
            t.name,
            t.kind,
            t.host ?? '',
            p.method,
            secs(p.timeoutMs),
            e ? secs(e.medianMs) : '?',
            e ? secs(e.p90Ms) : '?',
            e?.source ?? '',
          ]);
        }
      }
      if (plan.loadOff) {
        rows.push([
          '(final)',
          `UPS ${plan.loadOff.ups}`,
          'load-off',
          '',
          `off ${plan.loadOff.offDelayS} s, on ${plan.loadOff.onDelayS} s`,
          '',
          '',
          '',
          '',
        ]);
      }
      for (const h of plan.finalHosts) {
        const e = est.targets.get(h.name);
        rows.push([
          '(final)',
          h.name,
          h.kind,
          '',
          plan.finalMethod,
          secs(plan.finalTimeoutMs),
          e ? secs(e.medianMs) : '?',
          e ? secs(e.p90Ms) : '?',
          e?.source ?? '',
        ]);
      }
      out(`plan ${plan.name}`);
      out(table(rows));
      for (const n of plan.notes) out(`note: ${n}`);
      out(
        `estimate: ${Math.round(est.totalS)} s (${est.phases.map((p) => `${p.name} ${Math.round(p.seconds)} s`).join(', ')})`,
      );
      return 0;
    }
    // Per driver: what it found and what failed.
    let driversOk = true;
    for (const r of await service.checkDrivers()) {
      driversOk &&= r.ok;
      const byPower = new Map<string, number>();
      for (const t of r.targets) byPower.set(t.power, (byPower.get(t.power) ?? 0) + 1);
      out(
        `driver ${r.driver}: ${r.ok ? 'ok' : 'FAILED'}; ${r.targets.length} targets (${[...byPower].map(([p, n]) => `${n} ${p}`).join(', ') || 'none'})`,
      );
      for (const c of r.checks) {
        const line = `  ${c.ok ? 'ok' : 'FAILED'} ${c.target ? `${c.target}: ` : ''}${c.message}`;
        if (c.ok) out(line);
        else err(line);
      }
    }
    const { runId, done } = await service.startRun('dry', 'upsguard plan check');
    const row = await done;
    const steps = service.runner.journal.steps(runId);
    const failed = steps.filter((s) => s.result === 'failed' || s.result === 'timeout');
    out(`dry run ${runId} of plan ${plan.name}: ${row.status}; estimate ${Math.round(est.totalS)} s`);
    for (const s of steps.filter((x) => x.action !== 'wait')) {
      out(`  ${s.phase}  ${s.target}  ${s.action}  ${s.result ?? '?'}${s.detail ? `  ${s.detail}` : ''}`);
    }
    for (const f of failed) err(`FAILED ${f.phase} ${f.target} ${f.action}: ${f.error ?? f.result ?? ''}`);
    return row.status === 'completed' && driversOk ? 0 : 1;
  } catch (e) {
    err(errorMessage(e));
    return 1;
  } finally {
    await parts.stopAll(5000);
    clearInterval(keepAlive);
  }
}
