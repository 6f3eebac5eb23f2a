// Detection side by side on the same dummy-ups event: a real upsd serves a dummy-ups UPS; upsguard's NUT client
// (with its monitor) and a real upsmon both watch it; `upsrw` flips ups.status to OB, and each side's time to its
// ONBATT is measured from that moment. Once with each side's default settings, once with both polling at 1 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import type { NewUpsEvent } from '../src/ups/events.js';
import { UpsMonitor } from '../src/ups/monitor.js';
import { NutSource } from '../src/ups/nut/nut-source.js';
import { systemClock } from '../src/util/clock.js';
import { haveNut, run as runCmd, sleep, startUpsd, startUpsmon, until } from '../test/helpers/nut-peers.js';
import { quantile } from './stats.js';

const TRIALS = Number(process.env.BENCH_NUT_TRIALS ?? 5);

interface Settings {
  readonly label: string;
  readonly ours: { pollMs: number; onBatteryPollMs: number; quickMs: number };
  /** undefined: upsmon's defaults (POLLFREQ 5, POLLFREQALERT 5). */
  readonly upsmonPoll?: number;
}

async function measure(dir: string, s: Settings): Promise<Record<string, number>> {
  const upsd = await startUpsd(dir, [
    {
      name: 'steady',
      desc: 'bench',
      file: 'steady.dev',
      text: 'device.model: Bench\nups.status: OL\nbattery.charge: 100\n',
    },
  ]);
  const target = `steady@127.0.0.1:${upsd.port}`;
  const log = createLogger({ level: 'silent' });
  const source = new NutSource({
    target: { user: 'monuser', host: '127.0.0.1', port: upsd.port, ups: 'steady' },
    password: 'monpass',
    starttls: 'off',
    login: true,
    pollMs: s.ours.pollMs,
    onBatteryPollMs: s.ours.onBatteryPollMs,
    ioTimeoutMs: 3000,
    reconnectBaseMs: 1000,
    reconnectMaxMs: 30_000,
    allowedCommands: [],
    clock: systemClock,
    log,
  });
  let ourOnbatt = 0;
  let id = 0;
  const monitor = new UpsMonitor(
    'steady',
    source,
    { recordSnapshot: () => undefined, recordEvent: (e: NewUpsEvent) => ({ ...e, id: ++id }) },
    { quickIntervalMs: s.ours.quickMs, fullIntervalMs: 30_000, deadTimeMs: 15_000, noCommMs: 300_000 },
    systemClock,
    log,
  );
  monitor.events.on('event', (e) => {
    if (e.type === 'ONBATT' && ourOnbatt === 0) ourOnbatt = Date.now();
  });
  const upsmon = await startUpsmon(join(dir, 'upsmon'), `${target} 1 monuser monpass secondary`, {
    ...(s.upsmonPoll === undefined ? {} : { pollFreq: s.upsmonPoll, pollFreqAlert: s.upsmonPoll }),
    deadTime: 30,
  });
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    await monitor.start();
    await until(
      'both watching',
      async () => ((await runCmd('upsc', ['-c', target])).stdout.trim().split('\n').length === 2 ? true : undefined),
      20_000,
    );
    await sleep(6000); // upsmon's first full cycle
    const set = (status: string): Promise<unknown> =>
      runCmd('upsrw', ['-s', `ups.status=${status}`, '-u', 'admin', '-p', 'adminpass', '-w', target]);
    for (let i = 0; i < TRIALS; i++) {
      const before = upsmon
        .notifications()
        .split('\n')
        .filter((l) => l.includes(' ONBATT ')).length;
      ourOnbatt = 0;
      // A random phase against both poll loops, as a real outage would have.
      await sleep(Math.random() * 5000);
      const t0 = Date.now();
      await set('OB DISCHRG');
      const line = await until(
        'both ONBATT',
        () => {
          const hits = upsmon
            .notifications()
            .split('\n')
            .filter((l) => l.includes(' ONBATT '));
          return hits.length > before && ourOnbatt > 0 ? hits[hits.length - 1] : undefined;
        },
        20_000,
      );
      ours.push(ourOnbatt - t0);
      theirs.push(Math.round(Number(line.split(' ')[0]) * 1000) - t0);
      await set('OL');
      await sleep(Math.max(6000, 2 * (s.upsmonPoll ?? 5) * 1000));
    }
  } finally {
    await upsmon.stop();
    await monitor.stop();
    await upsd.stop();
  }
  return {
    [`${s.label}: upsguard ONBATT p50 (ms)`]: quantile(ours, 0.5),
    [`${s.label}: upsguard ONBATT max (ms)`]: Math.max(...ours),
    [`${s.label}: upsmon ONBATT p50 (ms)`]: quantile(theirs, 0.5),
    [`${s.label}: upsmon ONBATT max (ms)`]: Math.max(...theirs),
  };
}

export async function run(): Promise<Record<string, number>> {
  if (!haveNut) throw new Error('needs root and the Debian packages nut-server and nut-client');
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-nut-'));
  try {
    return {
      trials: TRIALS,
      ...(await measure(join(dir, 'defaults'), {
        label: 'defaults',
        ours: { pollMs: 2000, onBatteryPollMs: 1000, quickMs: 2000 },
      })),
      ...(await measure(join(dir, 'one-second'), {
        label: '1 s polling',
        ours: { pollMs: 1000, onBatteryPollMs: 1000, quickMs: 1000 },
        upsmonPoll: 1,
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
