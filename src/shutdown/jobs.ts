import type { ScheduleConfig } from '../config/shutdown-schema.js';
import type { JobDefinition } from '../schedule/jobs.js';
import type { NewUpsEvent } from '../ups/events.js';
import type { WatchedSource } from './watched-sources.js';
import type { Clock } from '../util/clock.js';
import type { ShutdownService } from './service.js';

/**
 * The shutdown side's named jobs: a daily dry run, so an expired password or a vanished target is found before the
 * outage, and an optional weekly quick battery test on every UPS that supports one.
 */
export function shutdownJobs(opts: {
  schedule: ScheduleConfig;
  service: ShutdownService;
  sources: readonly WatchedSource[];
  record: (e: NewUpsEvent) => void;
  clock: Clock;
}): JobDefinition[] {
  const jobs: JobDefinition[] = [];
  if (opts.schedule.dry_run !== '') {
    jobs.push({
      name: 'shutdown-dry-run',
      schedule: opts.schedule.dry_run,
      run: async () => {
        // Every driver's credentials and targets first: an expired password shows here, named, before any outage.
        const failing = (await opts.service.checkDrivers()).filter((r) => !r.ok);
        if (failing.length > 0) {
          const msg = `driver check failed: ${failing
            .map(
              (r) =>
                `${r.driver}: ${r.checks
                  .filter((c) => !c.ok)
                  .map((c) => (c.target ? `${c.target}: ${c.message}` : c.message))
                  .join('; ')}`,
            )
            .join(' | ')}`;
          opts.record({ at: opts.clock.now(), type: 'SHUTDOWN_CHECK_FAILED', ups: '', message: msg });
        }
        // upsguard's own VM must come back by itself after an outage, or nothing restores the cluster.
        const autostart = await opts.service.selfAutostartProblem();
        if (autostart !== null) {
          opts.record({ at: opts.clock.now(), type: 'SHUTDOWN_CHECK_FAILED', ups: '', message: autostart });
        }
        const view = await opts.service.refreshPlan();
        if (!view.plan) {
          if (view.problems.length === 0) return;
          const msg = `the shutdown plan is invalid: ${view.problems.map((p) => p.message).join('; ')}`;
          opts.record({ at: opts.clock.now(), type: 'SHUTDOWN_CHECK_FAILED', ups: '', message: msg });
          throw new Error(msg);
        }
        const { done } = await opts.service.startRun('dry', 'scheduled daily dry run');
        const row = await done;
        if (row.status !== 'completed') {
          const msg = `daily dry run ${row.id}: ${row.summary ?? row.status}`;
          opts.record({ at: opts.clock.now(), type: 'SHUTDOWN_CHECK_FAILED', ups: '', message: msg });
          throw new Error(msg);
        }
      },
    });
  }
  if (opts.schedule.battery_test !== undefined) {
    jobs.push({
      name: 'battery-quick-test',
      schedule: opts.schedule.battery_test,
      run: async () => {
        for (const s of opts.sources) {
          if (!s.supportedCommands().includes('test.battery.start.quick')) continue;
          await s.command('test.battery.start.quick');
          opts.record({
            at: opts.clock.now(),
            type: 'BATTERY_TEST',
            ups: s.name,
            message: 'quick battery test started',
          });
        }
      },
    });
  }
  return jobs;
}
