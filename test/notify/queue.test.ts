import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { HttpReceiver } from './http-receiver.js';
import { NotifyRig } from './notify-rig.js';
import { tempDir } from '../helpers/tmp.js';

const receivers: HttpReceiver[] = [];
const dbs: Db[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
  for (const d of dbs.splice(0)) d.close();
});

async function receiver(): Promise<HttpReceiver> {
  const r = new HttpReceiver();
  receivers.push(r);
  await r.start();
  return r;
}

function store(dir = tempDir()): Db {
  const db = openDatabase(join(dir, 'db.sqlite'));
  dbs.push(db);
  return db;
}

const timing = { retry_base_s: 1, retry_max_s: 30, expire_after_s: 600 };

function webhook(name: string, base: string): Record<string, unknown> {
  return { name, kind: 'webhook', url: `${base}/${name}`, timeout_ms: 10_000 };
}

/** Event ids as the receiver saw them, in order. */
const eventIds = (r: HttpReceiver, path?: string): number[] =>
  r.received.filter((x) => path === undefined || x.path === path).map((x) => (JSON.parse(x.body) as { id: number }).id);

describe('notify queue', () => {
  it('writes every message before sending it and sends a channel in order, the next waiting for the one before', async () => {
    const r = await receiver();
    let n = 0;
    r.answer = () => (++n <= 2 ? 503 : 200);
    const rig = new NotifyRig(store(), { ...timing, channels: [webhook('ops', r.base())] });
    rig.start();
    const raised = [rig.raise('ONBATT'), rig.raise('LOWBATT'), rig.raise('ONLINE')];
    // Queued at once, before any answer came back.
    expect(rig.queue.recent(10).map((m) => m.event.id)).toEqual(raised.map((e) => e.id).reverse());
    await rig.run(10_000);
    // The first was tried three times; the others only after it got through, in order.
    expect(eventIds(r)).toEqual([raised[0]!.id, raised[0]!.id, raised[0]!.id, raised[1]!.id, raised[2]!.id]);
    expect(rig.queue.stats()).toMatchObject([{ channel: 'ops', pending: 0, failing: 0 }]);
    // Every attempt of a message carries its id, the same on each retry.
    const keys = r.received.map((x) => x.headers['idempotency-key']);
    expect(new Set(keys.slice(0, 3)).size).toBe(1);
    expect(new Set(keys).size).toBe(3);
    expect(r.bodies()[0]).toMatchObject({ type: 'ONBATT', ups: 'rack', severity: 'warning', message_id: keys[0] });
    await rig.part.stop();
  });

  it('raises NOTIFY_FAILED once per failure streak, not per retry, and NOTIFY_EXPIRED when it gives up', async () => {
    const r = await receiver();
    await r.down();
    const rig = new NotifyRig(store(), { ...timing, channels: [webhook('ops', r.base())] });
    rig.start();
    const e = rig.raise('ONBATT');
    await rig.run(300_000, 5000);
    const head = rig.queue.head('ops')!;
    expect(head.event.id).toBe(e.id);
    expect(head.attempts).toBeGreaterThan(5);
    expect(rig.eventsOf('NOTIFY_FAILED')).toHaveLength(1);
    expect(rig.eventsOf('NOTIFY_FAILED')[0]!.message).toMatch(/ONBATT to ops failed/);
    // The failure event is not queued for the channel that is failing (it would only wait behind its cause).
    expect(rig.queue.recent(10).filter((m) => m.event.type === 'NOTIFY_FAILED')).toEqual([]);
    await rig.run(400_000, 5000);
    expect(rig.eventsOf('NOTIFY_EXPIRED')).toHaveLength(1);
    expect(rig.queue.get(head.id)?.state).toBe('expired');
    await rig.part.stop();
  });

  it('a failure event about one channel goes out on the others', async () => {
    const up = await receiver();
    const dead = await receiver();
    await dead.down();
    const rig = new NotifyRig(store(), {
      ...timing,
      channels: [webhook('dead', dead.base()), webhook('fine', up.base())],
    });
    rig.start();
    rig.raise('ONBATT');
    await rig.run(5000);
    expect(up.bodies().map((b) => (b as { type: string }).type)).toEqual(['ONBATT', 'NOTIFY_FAILED']);
    await rig.part.stop();
  });

  it('a restart while messages are queued delivers each exactly once, in order', async () => {
    const r = await receiver();
    await r.down();
    const db = store();
    const rig = new NotifyRig(db, { ...timing, channels: [webhook('ops', r.base())] });
    rig.start();
    const raised = Array.from({ length: 10 }, (_, i) => rig.raise('ONBATT', `outage ${i}`));
    await rig.run(20_000);
    expect(rig.queue.stats()[0]).toMatchObject({ pending: 10 + 1 - 1, failing: 1 });
    await rig.restart();
    await rig.run(5000);
    await r.up();
    await rig.run(60_000);
    await rig.part.stop();
    const ids = r.received.map((x) => x.headers['idempotency-key']);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(eventIds(r)).toEqual(raised.map((e) => e.id));
    expect(rig.queue.stats()[0]).toMatchObject({ pending: 0, failing: 0 });
  });

  it('messages queued for a channel are sent by the next start when the first one stopped before sending', async () => {
    const r = await receiver();
    const db = store();
    const rig = new NotifyRig(db, { ...timing, channels: [webhook('ops', r.base())] });
    // Queued by a process that stopped at once (never started sending).
    rig.queue.enqueue({
      id: 'left-over-1',
      channel: 'ops',
      event: { id: 1, at: rig.clock.now(), type: 'FSD', ups: 'rack', message: 'fsd' },
      now: rig.clock.now(),
      expiresAt: rig.clock.now() + 600_000,
    });
    rig.start();
    await rig.run(1000);
    expect(r.received.map((x) => x.headers['idempotency-key'])).toEqual(['left-over-1']);
    await rig.part.stop();
  });
  it('an answer lost after the receiver took the message is resent with the same message id, for it to drop', async () => {
    const r = await receiver();
    let lost = 1;
    // The receiver got the request; the answer never reached us (a crash or a cut between its reply and our mark).
    const cutAfterSend: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (lost-- > 0) throw new TypeError('fetch failed: socket hang up');
      return res;
    };
    const rig = new NotifyRig(
      store(),
      { ...timing, channels: [webhook('ops', r.base())] },
      { deps: { fetch: cutAfterSend } },
    );
    rig.start();
    rig.raise('ONBATT');
    rig.raise('ONLINE');
    await rig.run(10_000);
    const keys = r.received.map((x) => String(x.headers['idempotency-key']));
    expect(keys).toHaveLength(3);
    expect(keys[0]).toBe(keys[1]);
    expect(new Set(keys).size).toBe(2);
    await rig.part.stop();
  });
  it('a command that cannot be spawned (EMFILE) is retried and runs once descriptors are back', async () => {
    const dir = tempDir();
    let exhausted = true;
    const calls: string[] = [];
    const spawnImpl = ((path: string, args: string[], opts: object) => {
      calls.push(path);
      if (exhausted) throw Object.assign(new Error('spawn EMFILE'), { code: 'EMFILE' });
      return spawn(path, args, opts);
    }) as unknown as typeof spawn;
    const out = join(dir, 'out.txt');
    const rig = new NotifyRig(
      store(dir),
      {
        ...timing,
        channels: [{ name: 'cmd', kind: 'command', path: '/bin/sh', args: ['-c', `echo "$NOTIFYTYPE" >> ${out}`] }],
      },
      { deps: { spawn: spawnImpl } },
    );
    rig.start();
    rig.raise('LOWBATT');
    await rig.run(3000);
    expect(rig.eventsOf('NOTIFY_FAILED')[0]?.message).toMatch(/EMFILE/);
    exhausted = false;
    await rig.run(60_000);
    expect(readFileSync(out, 'utf8')).toBe('LOWBATT\n');
    expect(calls.length).toBeGreaterThan(1);
    await rig.part.stop();
  });
});

describe('notify queue: secrets', () => {
  it('a failing channel never puts its token in a log line, an event or the queue', async () => {
    const TOKEN = '98765:S3cr3t-telegram-bot-token';
    const r = await receiver();
    r.answer = 502;
    const chunks: string[] = [];
    const log = createLogger({
      level: 'trace',
      destination: new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(c.toString());
          cb();
        },
      }),
    });
    const db = store();
    const rig = new NotifyRig(
      db,
      { ...timing, channels: [{ name: 'tg', kind: 'telegram', api_url: r.base(), token: TOKEN, chat_id: 5 }] },
      { log },
    );
    rig.start();
    rig.raise('ONBATT');
    await rig.run(700_000, 10_000);
    await rig.part.stop();
    expect(rig.eventsOf('NOTIFY_EXPIRED')).toHaveLength(1);
    expect(r.received.length).toBeGreaterThan(3);
    const rows = JSON.stringify(db.prepare('SELECT * FROM notify_queue').all());
    const events = JSON.stringify(rig.events.recent(100));
    expect(chunks.join('')).toMatch(/HTTP 502/);
    for (const text of [chunks.join(''), rows, events]) expect(text).not.toMatch(/S3cr3t/);
  });
});
