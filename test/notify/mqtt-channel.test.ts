import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt-schema.js';
import { channelSchema, notifySchema } from '../../src/config/notify-schema.js';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { haId } from '../../src/integrations/mqtt/topics.js';
import { buildChannel } from '../../src/notify/channels/index.js';
import { mqttChannelSettings, type MqttChannelConfig } from '../../src/notify/channels/mqtt-settings.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import type { ManualClock } from '../../src/util/clock.js';
import { Mosquitto } from '../integrations/mosquitto.js';
import { tempDir } from '../helpers/tmp.js';
import { sleep, until } from '../helpers/until.js';
import { NotifyRig } from './notify-rig.js';

const dir = mkdtempSync(join(tmpdir(), 'upsguard-mqtt-notify-'));
const broker = new Mosquitto(dir);
const cleanup: (() => unknown)[] = [];
let brokerDown = false;

async function stopBroker(): Promise<void> {
  brokerDown = true;
  await broker.stop();
}

async function startBroker(): Promise<void> {
  await broker.start();
  brokerDown = false;
}

beforeAll(async () => {
  await broker.start();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  // A test that stopped the broker leaves it running for the next.
  if (brokerDown) await broker.start();
  brokerDown = false;
});
afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Received {
  readonly topic: string;
  readonly body: Record<string, unknown>;
  readonly retain: boolean;
}

/** A subscriber of our own on the plain listener: what a consumer of the event topic receives. */
async function subscriber(filter: string): Promise<{ client: MqttClient; got: Received[] }> {
  const client = await connectAsync(`mqtt://127.0.0.1:${broker.plainPort}`, { reconnectPeriod: 0 });
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    got.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown>, retain: packet.retain });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  cleanup.push(() => client.endAsync(true));
  return { client, got };
}

const timing = { retry_base_s: 1, retry_max_s: 10, expire_after_s: 600 };
const channel = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'ha',
  kind: 'mqtt',
  url: `mqtt://127.0.0.1:${broker.plainPort}`,
  timeout_ms: 2000,
  ...extra,
});

function store(path: string): Db {
  const db = openDatabase(path);
  cleanup.push(() => {
    if (db.open) db.close();
  });
  return db;
}

function rigOn(db: Db, extra: Record<string, unknown> = {}, clock?: ManualClock): NotifyRig {
  const rig = new NotifyRig(db, { ...timing, channels: [channel(extra)] }, clock ? { clock } : {});
  cleanup.push(() => rig.part.stop());
  return rig;
}

const ids = (got: readonly Received[]): unknown[] => got.map((r) => r.body.message_id);

describe('mqtt notification channel against a real mosquitto', () => {
  it('publishes an event with its fields (QoS 1, not retained) and announces a Home Assistant event entity', async () => {
    const sub = await subscriber('upsguard/events');
    const rig = rigOn(store(join(tempDir(), 'db.sqlite')));
    rig.start();
    const e = rig.raise('ONBATT', 'rack is on battery: mains lost');
    await until('the event at the subscriber', () => sub.got.length === 1);
    await rig.part.idle();
    const queued = rig.queue.recent(1)[0]!;
    expect(queued.state).toBe('sent');
    expect(sub.got[0]!.body).toEqual({
      event_type: 'ONBATT',
      id: e.id,
      at: new Date(e.at).toISOString(),
      type: 'ONBATT',
      ups: 'rack',
      message: 'rack is on battery: mains lost',
      severity: 'warning',
      message_id: queued.id,
    });
    // Not retained: a subscriber arriving later gets nothing on the topic.
    const late = await subscriber('upsguard/events');
    await sleep(300);
    expect(late.got).toEqual([]);
    // The discovery config is retained, so Home Assistant finds it whenever it subscribes.
    const ha = await subscriber('homeassistant/event/+/+/config');
    await until('the retained discovery config', () => ha.got.length === 1);
    const node = haId(`upsguard_${hostname()}`);
    expect(ha.got[0]!.topic).toBe(`homeassistant/event/${node}/events_ha/config`);
    expect(ha.got[0]!.retain).toBe(true);
    expect(ha.got[0]!.body).toMatchObject({
      state_topic: 'upsguard/events',
      unique_id: `${node}_events_ha`,
      device: { identifiers: [node] },
    });
    expect(ha.got[0]!.body.event_types).toEqual(expect.arrayContaining(['ONBATT', 'LOWBATT', 'SHUTDOWN']));
  });

  it('a broker down during the event makes it a failure the queue retries; back up, it is delivered once', async () => {
    const rig = rigOn(store(join(tempDir(), 'db.sqlite')), { topic: 'lab/alerts' });
    rig.start();
    await stopBroker();
    const e = rig.raise('LOWBATT');
    await rig.run(5000);
    const head = rig.queue.head('ha')!;
    expect(head.event.id).toBe(e.id);
    expect(head.attempts).toBeGreaterThanOrEqual(2);
    expect(head.lastError).toMatch(/^mqtt mqtt:\/\/127\.0\.0\.1:\d+: /);
    expect(rig.eventsOf('NOTIFY_FAILED')).toHaveLength(1);
    await startBroker();
    const sub = await subscriber('lab/alerts');
    await rig.run(20_000);
    await until('the event after the outage', () => sub.got.length >= 1);
    await sleep(300);
    expect(ids(sub.got)).toEqual([head.id]);
    expect(sub.got[0]!.body).toMatchObject({ type: 'LOWBATT', id: e.id });
    expect(rig.queue.get(head.id)?.state).toBe('sent');
  });

  it('a restart while messages are queued delivers each exactly once, in order, by id', async () => {
    const path = join(tempDir(), 'db.sqlite');
    const db1 = store(path);
    const before = rigOn(db1);
    before.start();
    await stopBroker();
    const raised = [before.raise('ONBATT'), before.raise('LOWBATT'), before.raise('SHUTDOWN')];
    await before.run(3000);
    const queuedIds = before.queue
      .recent(10)
      .filter((m) => m.channel === 'ha' && m.event.type !== 'NOTIFY_FAILED')
      .reverse()
      .map((m) => m.id);
    expect(queuedIds).toHaveLength(3);
    // The process goes away: the part stops and the store is closed with the messages still pending.
    await before.part.stop();
    db1.close();
    await startBroker();
    const sub = await subscriber('upsguard/events');
    // The clock goes on from where it was, as it does across a real restart.
    const after = rigOn(store(path), {}, before.clock);
    after.start();
    await after.run(5000);
    await until('three events after the restart', () => sub.got.length >= 3);
    await sleep(300);
    expect(ids(sub.got)).toEqual(queuedIds);
    expect(sub.got.map((r) => r.body.id)).toEqual(raised.map((e) => e.id));
    expect(after.queue.stats()).toMatchObject([{ channel: 'ha', pending: 0 }]);
  });

  it('keeps the order of a burst', async () => {
    const sub = await subscriber('upsguard/events');
    const rig = rigOn(store(join(tempDir(), 'db.sqlite')));
    rig.start();
    const types = ['ONBATT', 'ONLINE'] as const;
    const raised = Array.from({ length: 30 }, (_, i) => rig.raise(types[i % 2]!, `burst ${i}`));
    await until('the whole burst', () => sub.got.length >= 30);
    await rig.part.idle();
    await sleep(200);
    expect(sub.got.map((r) => r.body.id)).toEqual(raised.map((e) => e.id));
    expect(new Set(ids(sub.got)).size).toBe(30);
  });

  it('uses the mqtt: section’s broker and prefixes when it has no url, under its own client id', async () => {
    const section = mqttSchema.parse({
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 'lab',
      discovery: false,
      client_id: 'state-client',
    });
    const c = channelSchema.parse({ name: 'events', kind: 'mqtt', timeout_ms: 2000 });
    const sub = await subscriber('lab/events');
    // The state connection under its id must stay up while the channel sends.
    const state = await connectAsync(section.url, { clientId: 'state-client', reconnectPeriod: 0 });
    cleanup.push(() => state.endAsync(true));
    const ch = buildChannel(c, { mqtt: section });
    cleanup.push(() => ch.close?.());
    await ch.send({ id: 'm-1', channel: 'events', event: { id: 7, at: 0, type: 'FSD', ups: 'rack', message: 'x' } });
    await until('the event on the section prefix', () => sub.got.length === 1);
    expect(sub.got[0]!.body).toMatchObject({ event_type: 'FSD', message_id: 'm-1' });
    expect(state.connected).toBe(true);
    expect(() => buildChannel(c, {})).toThrow(UpsguardError);
    try {
      buildChannel(c, {});
    } catch (err) {
      expect((err as UpsguardError).code).toBe(ErrorCode.ConfigInvalid);
    }
  });

  it('a broker that never acknowledges fails within the timeout and the connection is cut', async () => {
    // Answers CONNECT with a CONNACK (0x20 0x02 0x00 0x00: accepted) and then never sends a PUBACK.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.once('data', () => s.write(Buffer.from([0x20, 0x02, 0x00, 0x00])));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as net.AddressInfo).port;
    const c = channelSchema.parse({
      name: 'mute',
      kind: 'mqtt',
      url: `mqtt://127.0.0.1:${port}`,
      discovery: false,
      timeout_ms: 300,
    });
    const ch = buildChannel(c);
    cleanup.push(() => ch.close?.());
    const t0 = Date.now();
    const err = await ch
      .send({ id: 'm-2', channel: 'mute', event: { id: 1, at: 0, type: 'ONBATT', ups: 'rack', message: 'x' } })
      .then(
        () => null,
        (e: unknown) => e as UpsguardError,
      );
    expect(err?.code).toBe(ErrorCode.NotifyFailed);
    expect(err?.message).toMatch(/no PUBACK within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    // The attempt's connection is cut, not left open (and its publish not left in a library buffer to resend).
    await until('the channel to close its socket', () => sockets.length === 1 && sockets[0]!.closed, 3000);
  });

  it('names no password in its error when the broker refuses the credentials', async () => {
    const c = channelSchema.parse({
      name: 'tls',
      kind: 'mqtt',
      url: `mqtts://127.0.0.1:${broker.tlsPort}`,
      username: broker.user,
      password: 'wrong-secret-pw',
      ca_file: broker.ca,
      timeout_ms: 2000,
    });
    const ch = buildChannel(c);
    cleanup.push(() => ch.close?.());
    const err = await ch
      .send({ id: 'm-3', channel: 'tls', event: { id: 1, at: 0, type: 'ONBATT', ups: 'rack', message: 'x' } })
      .then(
        () => null,
        (e: unknown) => e as UpsguardError,
      );
    expect(err?.code).toBe(ErrorCode.NotifyFailed);
    expect(err?.message).toMatch(/^mqtt mqtts:\/\/127\.0\.0\.1:\d+: /);
    expect(err?.message).not.toContain('wrong-secret-pw');
  });
});

describe('mqtt channel settings', () => {
  it('a channel needs a url or an mqtt: section, and credentials only with its own url', () => {
    expect(notifySchema.safeParse({ channels: [{ name: 'a', kind: 'mqtt' }] }).success).toBe(true);
    const r = notifySchema.safeParse({ channels: [{ name: 'a', kind: 'mqtt', username: 'u' }] });
    expect(r.success).toBe(false);
    expect(channelSchema.safeParse({ name: 'a', kind: 'mqtt', topic: 'a/+/b' }).success).toBe(false);
    expect(channelSchema.safeParse({ name: 'a', kind: 'mqtt', topic: 'a//b' }).success).toBe(false);
    expect(channelSchema.safeParse({ name: 'a', kind: 'mqtt', url: 'http://x' }).success).toBe(false);
  });

  it('property: any accepted channel resolves to a usable client id and a topic without wildcards', () => {
    const level = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
        fc.option(
          fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join('/')),
          { nil: undefined },
        ),
        fc.stringMatching(/^[A-Za-z0-9.-]{1,80}$/),
        (name, topic, host) => {
          const parsed = channelSchema.safeParse({ name, kind: 'mqtt', url: 'mqtt://b:1883', topic });
          if (!parsed.success) return;
          const s = mqttChannelSettings(parsed.data as MqttChannelConfig, undefined, host);
          expect(s.clientId.length).toBeLessThanOrEqual(64);
          expect(s.clientId).toMatch(/^[A-Za-z0-9_-]+$/);
          expect(s.topic).not.toMatch(/[+#]|\/\/|^\/|\/$/);
          expect(s.topic).toBe(topic ?? 'upsguard/events');
        },
      ),
      { numRuns: 300 },
    );
  });
});
