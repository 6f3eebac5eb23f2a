import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { RunsStore } from '../../src/store/shutdown-runs.js';
import { ManualClock } from '../../src/util/clock.js';
import { until } from '../helpers/until.js';
import { clusterInput } from './fixtures.js';
import { HandUps, driveUntil, service, serviceConfig, serviceShutdown, settle } from './service-rig.js';

const T0 = Date.UTC(2026, 11, 1, 3, 0, 0);

/** A logger at the default level whose lines the test reads. */
function capture(): { log: ReturnType<typeof createLogger>; lines: () => { level: number; msg: string }[] } {
  const out: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = createLogger({ destination });
  return { log, lines: () => out.map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

describe('the log tells the story of an outage at the default level', () => {
  it('decisions, the run, each power action, FSD and the load-off, one readable line each', async () => {
    const { log, lines } = capture();
    const db = openDatabase(':memory:');
    const clock = new ManualClock(T0);
    const ups = new HandUps('ups1');
    const shutdown = serviceShutdown();
    const s = service(db, clock, ups, { log, config: serviceConfig(shutdown), setFsd: () => undefined });
    await s.start();
    s.onSnapshot(ups.set(clock.now(), ['OL']));
    s.onSnapshot(ups.set(clock.now(), ['OB', 'DISCHRG']));
    s.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    const runs = (): ReturnType<RunsStore['runs']> => new RunsStore(db).runs(5);
    await until('the run', () => runs().length === 1);
    await driveUntil(clock, () => runs().every((r) => r.status !== 'running'));
    await settle();
    const msgs = lines()
      .filter((l) => l.level >= 30)
      .map((l) => l.msg);
    const has = (re: RegExp): void => {
      expect(
        msgs.some((m) => re.test(m)),
        `${re.source}\n${msgs.join('\n')}`,
      ).toBe(true);
    };
    has(/^policy: warning \(on_battery\): ups1: on battery/);
    has(/^policy: critical \(ob_lb\): ups1: on battery and low battery/);
    has(/^shutdown run 1 \(real\) of plan lab started: critical/);
    has(/^FSD raised on ups1 for the NUT clients/);
    has(/^graceful shutdown of vm web1 \(sim, phase shed\): sending$/);
    has(/^graceful shutdown of vm web1 \(sim, phase shed\): accepted$/);
    has(/^graceful shutdown of host h2 \(sim, phase hosts\): sending$/);
    has(/^vm web1 is off after \d+(\.\d)? s$/);
    has(/^UPS ups1 load-off sent: output off in 60 s, back 90 s after mains returns$/);
    has(/^shutdown run 1 of plan lab completed: all targets done$/);
    s.stop();
    db.close();
  });

  it('a hard power-off and a failed driver check', async () => {
    const { log, lines } = capture();
    const db = openDatabase(':memory:');
    const clock = new ManualClock(T0);
    const ups = new HandUps('ups1');
    const input = clusterInput({
      vms: [
        { name: 'web1', tags: ['tier3'], shutdown_s: 5, ignores_graceful: true },
        { name: 'web2', tags: ['tier3'], shutdown_s: 5, fails: true },
      ],
    }) as Record<string, unknown>;
    input.default_estimate_s = { vm: 60, host: 30 };
    const s = service(db, clock, ups, { log, config: serviceConfig(input) });
    await s.start();
    await settle();
    const msgs = (): string[] =>
      lines()
        .filter((l) => l.level >= 30)
        .map((l) => l.msg);
    expect(
      msgs().some((m) => /^driver check failed: sim: web2: .*unreachable/.test(m)),
      msgs().join('\n'),
    ).toBe(true);
    s.onSnapshot(ups.set(clock.now(), ['OB', 'LB']));
    const runs = (): ReturnType<RunsStore['runs']> => new RunsStore(db).runs(5);
    await until('the run', () => runs().length === 1);
    await driveUntil(clock, () => runs().every((r) => r.status !== 'running'));
    await settle();
    const text = msgs().join('\n');
    expect(text).toMatch(/^hard power-off of vm web1 \(sim, phase shed\): sending$/m);
    expect(text).toMatch(/^hard power-off of vm web1 \(sim, phase shed\): accepted$/m);
    expect(text).toMatch(/^graceful shutdown of vm web2 \(sim, phase shed\): failed: .*unreachable/m);
    expect(text).toMatch(/^shutdown run 1 of plan lab failed: /m);
    s.stop();
    db.close();
  });
});
