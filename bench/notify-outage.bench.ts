// Notifications through a 10-minute network outage, on an injected clock so it runs in seconds: a real HTTP receiver
// on loopback is down (connections refused) for 10 simulated minutes while 50 events happen, with a restart of the
// notify part halfway; then it comes back. Reported: how many were delivered, duplicates (same message id twice),
// whether each channel's order held, and how long after the receiver came back the last one arrived (simulated).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/store/database.js';
import { HttpReceiver } from '../test/notify/http-receiver.js';
import { NotifyRig } from '../test/notify/notify-rig.js';

const EVENTS = 50;
const OUTAGE_MS = 10 * 60_000;
const STEP_MS = 1000;

export async function run(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-bench-notify-'));
  const db = openDatabase(join(dir, 'db.sqlite'));
  const receiver = new HttpReceiver();
  const base = await receiver.start();
  const arrivedAt = new Map<string, number>();
  try {
    // The shipped retry defaults (retry_base_s 5, retry_max_s 120, expire_after_s 3 days).
    const rig = new NotifyRig(
      db,
      {
        channels: [
          { name: 'hook', kind: 'webhook', url: `${base}/hook`, timeout_ms: 2000 },
          { name: 'ntfy', kind: 'ntfy', server: base, topic: 'ups', timeout_ms: 2000 },
        ],
      },
      { random: Math.random },
    );
    receiver.answer = (r) => {
      const id = String(r.headers['x-upsguard-message-id']);
      if (!arrivedAt.has(id)) arrivedAt.set(id, rig.clock.now());
      return 200;
    };
    await receiver.down();
    rig.start();
    const started = rig.clock.now();
    const raised: number[] = [];
    const every = OUTAGE_MS / EVENTS;
    for (let i = 0; i < EVENTS; i++) {
      raised.push(rig.raise(i % 2 === 0 ? 'ONBATT' : 'ONLINE', `flap ${i}`).id);
      await rig.run(every, STEP_MS);
      if (i === EVENTS / 2) await rig.restart();
    }
    const failedEvents = rig.eventsOf('NOTIFY_FAILED').length;
    await receiver.up();
    const backAt = rig.clock.now();
    // Up to an hour of simulated time for the queue to drain.
    for (let t = 0; t < 3_600_000 && rig.queue.stats().some((s) => s.pending > 0); t += 10_000)
      await rig.run(10_000, STEP_MS);
    await rig.part.stop();

    const got = receiver.received;
    const ids = got.map((r) => String(r.headers['x-upsguard-message-id']));
    const perChannel = (path: string): number[] =>
      got
        .filter((r) => r.path === path)
        .map((r) => JSON.parse(r.body) as { id?: number; message?: string })
        .map((b) => b.id ?? Number(/flap (\d+)/.exec(b.message ?? '')?.[1] ?? -1));
    const hookIds = perChannel('/hook').filter((id) => raised.includes(id));
    const ntfyFlaps = perChannel('/').filter((n) => n >= 0);
    const inOrder = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]!);
    const lastArrival = Math.max(...arrivedAt.values());
    return {
      events: EVENTS,
      channels: 2,
      expected_deliveries: EVENTS * 2,
      delivered: new Set(got.filter((r) => r.body.includes('flap ')).map((r) => r.headers['x-upsguard-message-id']))
        .size,
      problem_messages_delivered: new Set(
        got.filter((r) => r.body.includes('NOTIFY_FAILED')).map((r) => r.headers['x-upsguard-message-id']),
      ).size,
      requests_received: got.length,
      duplicates: ids.length - new Set(ids).size,
      order_kept_webhook: inOrder(hookIds) && hookIds.length === EVENTS ? 1 : 0,
      order_kept_ntfy: inOrder(ntfyFlaps) && ntfyFlaps.length === EVENTS ? 1 : 0,
      notify_failed_events: failedEvents,
      last_delivery_after_restore_s: Math.round((lastArrival - backAt) / 1000),
      outage_simulated_s: Math.round((backAt - started) / 1000),
      pending_left: rig.queue.stats().reduce((n, s) => n + s.pending, 0),
    };
  } finally {
    await receiver.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
