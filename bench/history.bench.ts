// GET /api/history on a store holding a year of one-second readings for one UPS, as the rollup and retention leave it:
// 48 h of raw readings, 90 days of minute rollups, a year of hour and 6-hour rollups, 10 s rollups of the raw readings (seeded directly: 31 M raw rows would only
// be deleted again). Each range is asked 200 times through inject, with a viewer's token; p50/p99 in ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { openDatabase } from '../src/store/database.js';
import { EventsStore } from '../src/store/events.js';
import { ReadingsStore } from '../src/store/readings.js';
import { Listeners } from '../src/util/listeners.js';
import type { HistoryResponse } from '../src/web/api-types/history.js';
import { createWebAuth } from '../src/web/auth/web-auth.js';
import type { LiveEvents } from '../src/web/deps.js';
import { buildServer } from '../src/web/server.js';
import { quantile } from './stats.js';

const REQUESTS = Number(process.env.BENCH_HISTORY_REQUESTS ?? 200);
const RANGES = ['1h', '24h', '7d', '30d', '1y'] as const;
/** What the history page charts. */
const VARS = ['battery.charge', 'battery.runtime', 'ups.load', 'input.voltage', 'output.voltage'] as const;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A plausible value of each variable at a time: slow waves, so min/avg/max differ within every bucket. */
function valueAt(v: (typeof VARS)[number], t: number): number {
  const w = Math.sin(t / 3_600_000) + 0.3 * Math.sin(t / 61_000);
  switch (v) {
    case 'battery.charge':
      return Math.round(95 + 5 * w);
    case 'battery.runtime':
      return Math.round(1800 + 300 * w);
    case 'ups.load':
      return Math.round(25 + 10 * w);
    case 'input.voltage':
      return Math.round((230 + 4 * w) * 10) / 10;
    case 'output.voltage':
      return Math.round((230 + 2 * w) * 10) / 10;
  }
}

function seed(
  db: ReturnType<typeof openDatabase>,
  now: number,
): Record<'raw' | 'minute' | 'hour' | 'ten_second' | 'six_hour', number> {
  const raw = db.prepare("INSERT INTO readings (ups, at, variables, status, comms) VALUES ('bench', ?, ?, 'OL', 'ok')");
  const rollup = db.prepare(
    "INSERT INTO rollups (resolution, ups, var, bucket, min, max, sum, count) VALUES (?, 'bench', ?, ?, ?, ?, ?, ?)",
  );
  const counts = { raw: 0, minute: 0, hour: 0, ten_second: 0, six_hour: 0 };
  db.transaction(() => {
    for (let t = now - 2 * DAY; t <= now; t += SECOND) {
      const vars: Record<string, string> = {};
      for (const v of VARS) vars[v] = String(valueAt(v, t));
      raw.run(t, JSON.stringify(vars));
      counts.raw++;
    }
  })();
  const bucketRows = (resolution: 'minute' | 'hour', size: number, span: number): void => {
    db.transaction(() => {
      for (let b = Math.floor((now - span) / size) * size; b <= now; b += size) {
        for (const v of VARS) {
          const a = valueAt(v, b);
          const z = valueAt(v, b + size / 2);
          const count = size / SECOND;
          rollup.run(resolution, v, b, Math.min(a, z) - 1, Math.max(a, z) + 1, ((a + z) / 2) * count, count);
          counts[resolution]++;
        }
      }
    })();
  };
  bucketRows('minute', MINUTE, 90 * DAY);
  bucketRows('hour', HOUR, 365 * DAY);
  // The 10 s rollups as record() keeps them, from the raw readings as migration 0007 fills them.
  counts.ten_second = db
    .prepare(
      `INSERT INTO rollups_10s (ups, var, bucket, min, max, sum, count)
       SELECT r.ups, j.key, (r.at / 10000) * 10000, MIN(CAST(j.value AS REAL)), MAX(CAST(j.value AS REAL)),
         SUM(CAST(j.value AS REAL)), COUNT(*)
       FROM readings r, json_each(r.variables) j GROUP BY 1, 2, 3`,
    )
    .run().changes;
  // The 6 h rollups as record() keeps them: the hours merged, as migration 0007 fills them from stored hours.
  counts.six_hour = db
    .prepare(
      `INSERT INTO rollups_6h (ups, var, bucket, min, max, sum, count)
       SELECT ups, var, (bucket / 21600000) * 21600000, MIN(min), MAX(max), SUM(sum), SUM(count)
       FROM rollups WHERE resolution = 'hour' GROUP BY 1, 2, 3`,
    )
    .run().changes;
  return counts;
}

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-history-bench-'));
  const db = openDatabase(join(dir, 'store.db'));
  const now = Date.now();
  const seeded = seed(db, now);
  const app = buildServer({
    ups: [
      {
        name: 'bench',
        snapshot: () => ({ ups: 'bench', at: now, variables: {}, status: ['OL'], comms: 'ok', lastContactAt: now }),
        problem: () => '',
        info: () => ({ kind: 'sim', location: 'sim:bench' }),
        diagnostics: () => ({ relay: null }),
      },
    ],
    events: new EventsStore(db),
    readings: new ReadingsStore(db),
    live: new Listeners<LiveEvents>(),
    log: createLogger({ level: 'silent' }),
    now: () => now,
    jobs: null,
    auth: createWebAuth({
      db,
      now: () => now,
      users: { verify: () => Promise.resolve(null) },
      verifyToken: (t) => (t === 'bench' ? { name: 'bench', role: 'viewer', via: 'token', id: 'bench' } : null),
    }),
  });
  await app.ready();
  const out: Record<string, number> = {
    ...Object.fromEntries(Object.entries(seeded).map(([k, v]) => [`${k}_rows`, v])),
  };
  try {
    for (const range of RANGES) {
      const url = `/api/history?ups=bench&var=battery.charge&range=${range}`;
      const times: number[] = [];
      let points = 0;
      let cpuUs = 0;
      for (let i = 0; i < REQUESTS + 10; i++) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        const res = await app.inject({ url, headers: { authorization: 'Bearer bench' } });
        const ms = performance.now() - started;
        const used = process.cpuUsage(cpu);
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
        // The first few warm the statement cache and the page cache; they are not what a page sees after load.
        if (i >= 10) {
          times.push(ms);
          cpuUs += used.user + used.system;
        }
        points = res.json<HistoryResponse>().series[0]!.at.length;
      }
      out[`${range}_points`] = points;
      out[`${range}_p50_ms`] = quantile(times, 0.5);
      out[`${range}_p99_ms`] = quantile(times, 0.99);
      // CPU per request: on a shared machine the wall-clock figures above include waiting for a core.
      out[`${range}_cpu_ms_avg`] = cpuUs / 1000 / times.length;
    }
  } finally {
    await app.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
