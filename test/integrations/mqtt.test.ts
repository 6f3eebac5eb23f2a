import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { shutdownFacade } from '../../src/app/shutdown-facade.js';
import { mqttSchema, type MqttConfig } from '../../src/config/mqtt-schema.js';
import { MqttPart } from '../../src/integrations/mqtt/mqtt-part.js';
import { createLogger } from '../../src/log.js';
import { systemClock } from '../../src/util/clock.js';
import { startSimApp } from '../helpers/demo-app.js';
import { FlakyProxy } from '../helpers/flaky-proxy.js';
import { until } from '../helpers/until.js';
import { Mosquitto } from './mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'upsguard-mqtt-'));
const broker = new Mosquitto(dir);
const cleanup: (() => unknown)[] = [];

beforeAll(async () => {
  await broker.start();
});
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
afterAll(async () => {
  await broker.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  readonly topic: string;
  readonly text: string;
  readonly retain: boolean;
}

/** A client of our own on the plain listener that records what it receives. */
async function watch(filters: string[]): Promise<{ client: MqttClient; seen: Seen[] }> {
  const client = await connectAsync(`mqtt://127.0.0.1:${broker.plainPort}`, { reconnectPeriod: 200 });
  const seen: Seen[] = [];
  client.on('message', (topic, payload, packet) =>
    seen.push({ topic, text: payload.toString(), retain: packet.retain }),
  );
  await client.subscribeAsync(filters, { qos: 1 });
  cleanup.push(() => client.endAsync(true));
  return { client, seen };
}

/** The retained messages under a filter, as a subscriber arriving now gets them. */
async function retained(filter: string, settleMs = 300): Promise<Map<string, string>> {
  const { client, seen } = await watch([filter]);
  await new Promise((r) => setTimeout(r, settleMs));
  await client.endAsync(true);
  return new Map(seen.filter((m) => m.retain).map((m) => [m.topic, m.text]));
}

async function simApp(): Promise<App> {
  const app = await startSimApp({ device: 'cyberpower-cp1500pfclcd', extra: { monitor: { quick_interval_s: 0.25 } } });
  cleanup.push(() => app.stop());
  await until('a first reading', () => app.handles()[0]!.snapshot().at > 0);
  return app;
}

function mqttPart(app: App, config: Partial<MqttConfig> & { url: string }, log = createLogger({ level: 'silent' })) {
  const part = new MqttPart({
    // Each part its own client id: two clients with one id throw each other off the broker.
    config: mqttSchema.parse({
      reconnect_min_ms: 100,
      reconnect_max_ms: 400,
      publish_interval_s: 0.2,
      client_id: `test-${config.topic_prefix ?? 'upsguard'}`,
      ...config,
    }),
    ups: () => app.handles(),
    live: app.live,
    shutdown: () => {
      const s = app.shutdown();
      return s ? shutdownFacade(s) : null;
    },
    clock: systemClock,
    log,
    stopTimeoutMs: 2000,
    appliance: 'lab',
  });
  cleanup.push(() => part.stop());
  return part;
}

function expectRefused(outcome: Record<string, unknown>, why: RegExp): void {
  expect(outcome.ok).toBe(false);
  expect(outcome.message).toMatch(why);
}

const json = (text: string | undefined): Record<string, unknown> =>
  JSON.parse(text ?? 'null') as Record<string, unknown>;

describe('MQTT and Home Assistant discovery against a real mosquitto', () => {
  test('discovery configs are retained and valid, with the UPS state; a mains loss is published', async () => {
    const app = await simApp();
    const part = mqttPart(app, {
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 't1',
      discovery_prefix: 'ha1',
    });
    await part.start();
    const configs = await until('the discovery configs', async () => {
      const r = await retained('ha1/#');
      return r.has('ha1/sensor/upsguard_sim1/battery_charge/config') && r.size >= 17 ? r : null;
    });
    const ids = new Set<string>();
    for (const [topic, text] of configs) {
      expect(topic).toMatch(/^ha1\/(sensor|binary_sensor|button)\/upsguard_[a-z0-9_]+\/[a-z0-9_]+\/config$/);
      const c = json(text);
      expect(typeof c.name).toBe('string');
      expect(c.availability_topic).toBe('t1/status');
      expect(ids.has(c.unique_id as string)).toBe(false);
      ids.add(c.unique_id as string);
      expect((c.device as { identifiers: string[] }).identifiers.length).toBe(1);
      if (!topic.includes('/button/')) expect(c.state_topic).toMatch(/^t1\//);
    }
    const charge = json(configs.get('ha1/sensor/upsguard_sim1/battery_charge/config'));
    expect(charge).toMatchObject({
      device_class: 'battery',
      unit_of_measurement: '%',
      state_class: 'measurement',
      state_topic: 't1/ups/sim1/state',
    });
    expect((charge.device as Record<string, unknown>).via_device).toBe('upsguard_lab');
    const mfr = app.handles()[0]!.snapshot().variables['device.mfr'];
    expect((charge.device as Record<string, unknown>).manufacturer).toBe(mfr);
    expect(json(configs.get('ha1/sensor/upsguard_sim1/battery_runtime/config'))).toMatchObject({
      device_class: 'duration',
      unit_of_measurement: 's',
    });
    expect(json(configs.get('ha1/binary_sensor/upsguard_sim1/mains/config'))).toMatchObject({ device_class: 'power' });
    expect(json(configs.get('ha1/sensor/upsguard_lab/policy_level/config'))).toMatchObject({
      device_class: 'enum',
      state_topic: 't1/decision',
    });
    // Read-only by default: no command buttons.
    expect([...configs.keys()].some((t) => t.includes('/button/'))).toBe(false);

    const states = await retained('t1/#');
    expect(states.get('t1/status')).toBe('online');
    expect(json(states.get('t1/ups/sim1/state'))).toMatchObject({ mains: 'ON', low_battery: 'OFF', connected: 'ON' });
    expect(json(states.get('t1/ups/sim1/state')).status).toMatch(/\bOL\b/);
    expect(json(states.get('t1/ups/sim1/variables'))['device.mfr']).toBe(mfr);
    expect(json(states.get('t1/plan'))).toHaveProperty('status');

    const live = await watch(['t1/ups/sim1/state', 't1/decision']);
    app.simulated('sim1')!.setMains(false);
    await until('the mains loss on the state topic', () =>
      live.seen.some((m) => m.topic === 't1/ups/sim1/state' && json(m.text).mains === 'OFF'),
    );
    const state = json(live.seen.filter((m) => m.topic === 't1/ups/sim1/state').at(-1)?.text);
    expect(state.status).toMatch(/\bOB\b/);
    await until('a decision other than normal', () =>
      live.seen.some((m) => m.topic === 't1/decision' && json(m.text).level !== 'normal'),
    );
  });

  test('a killed connection: the broker publishes the last will (offline), and the client comes back online', async () => {
    const app = await simApp();
    const proxy = new FlakyProxy(broker.plainPort);
    await proxy.start();
    cleanup.push(() => proxy.stop());
    const { seen } = await watch(['t2/status']);
    const part = mqttPart(app, { url: `mqtt://127.0.0.1:${proxy.port}`, topic_prefix: 't2', discovery_prefix: 'ha2' });
    await part.start();
    const status = (): string[] => seen.filter((m) => m.topic === 't2/status').map((m) => m.text);
    await until('online', () => status().includes('online'));
    await proxy.outage(300);
    await until('the will, then online again', () => {
      const s = status();
      const off = s.indexOf('offline');
      return off >= 0 && s.slice(off + 1).includes('online');
    });
  });

  test('the broker restarts (losing every retained message): the client reconnects and publishes them again', async () => {
    const app = await simApp();
    const part = mqttPart(app, {
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 't3',
      discovery_prefix: 'ha3',
    });
    await part.start();
    await until('online', async () => (await retained('t3/status', 150)).get('t3/status') === 'online');
    // A retained marker of the test's own: gone after the restart shows the broker kept nothing.
    const marker = await watch(['t3/none']);
    await marker.client.publishAsync('t3/marker', 'x', { qos: 1, retain: true });
    await marker.client.endAsync(true);
    await broker.stop();
    await broker.start();
    const after = await until('the broker back', async () => retained('#', 100).catch(() => null));
    expect(after.has('t3/marker')).toBe(false);
    const again = await until('discovery and online again', async () => {
      const r = await retained('#', 200);
      return r.get('t3/status') === 'online' && r.has('ha3/sensor/upsguard_sim1/battery_charge/config') ? r : null;
    });
    expect(json(again.get('t3/ups/sim1/state')).mains).toBe('ON');
  });

  test('TLS with the test CA and a password file: the right credentials connect; a wrong password never leaks', async () => {
    const app = await simApp();
    const tls = { url: `mqtts://127.0.0.1:${broker.tlsPort}`, ca_file: broker.ca, username: broker.user };
    const good = mqttPart(app, { ...tls, password: broker.password, topic_prefix: 't4', discovery_prefix: 'ha4' });
    await good.start();
    await until('online over TLS', async () => (await retained('t4/status', 150)).get('t4/status') === 'online');

    const lines: string[] = [];
    const log = createLogger({ level: 'debug', destination: { write: (l: string) => lines.push(l) } });
    const wrong = 'wrong-password-4711';
    const bad = mqttPart(app, { ...tls, password: wrong, topic_prefix: 't5', discovery_prefix: 'ha5' }, log);
    await bad.start();
    await until('the refusal in the log', () => lines.some((l) => /not authorized|bad user name/i.test(l)));
    expect((await retained('t5/status', 150)).get('t5/status')).toBeUndefined();
    expect(lines.join('\n')).not.toContain(wrong);

    // Without the CA, the broker's certificate is not trusted: no connection.
    const untrusted = mqttPart(
      app,
      { url: tls.url, username: broker.user, password: broker.password, topic_prefix: 't6', discovery_prefix: 'ha6' },
      log,
    );
    await untrusted.start();
    await until('the certificate refusal in the log', () => lines.some((l) => /certificate/i.test(l)));
    expect((await retained('t6/status', 150)).get('t6/status')).toBeUndefined();
  });

  test('commands: refused unless allowed by name; an allowed one goes through the UPS command queue', async () => {
    const app = await simApp();
    const part = mqttPart(app, {
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 't7',
      discovery_prefix: 'ha7',
      allow_commands: ['beeper.mute', 'shutdown.return'],
    });
    await part.start();
    const configs = await until('the command buttons', async () => {
      const r = await retained('ha7/button/#');
      return r.size === 2 ? r : null;
    });
    expect(json(configs.get('ha7/button/upsguard_sim1/command_beeper_mute/config'))).toMatchObject({
      command_topic: 't7/ups/sim1/command',
      payload_press: 'beeper.mute',
    });
    const { client, seen } = await watch(['t7/ups/+/command/result']);
    const results = (): Record<string, unknown>[] => seen.map((m) => json(m.text));
    const send = async (payload: string, ups = 'sim1'): Promise<Record<string, unknown>> => {
      const before = seen.length;
      await client.publishAsync(`t7/ups/${ups}/command`, payload, { qos: 1 });
      await until(`the result of ${payload}`, () => seen.length > before);
      return results().at(-1)!;
    };
    expect(await send('beeper.mute')).toEqual({ command: 'beeper.mute', ok: true, message: 'sim1: beeper.mute sent' });
    expectRefused(await send('test.battery.start.quick'), /not in mqtt.allow_commands/);
    expectRefused(await send('shutdown.return'), /confirm/);
    expect(await send('{"command":"beeper.mute"')).toMatchObject({ ok: false, message: 'payload: not valid JSON' });
    expect(await send('beeper.mute', 'nosuch')).toMatchObject({ ok: false, message: 'refused: no UPS named nosuch' });

    // The default is read-only: the same command is refused.
    const readOnly = mqttPart(app, {
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 't8',
      discovery_prefix: 'ha8',
    });
    await readOnly.start();
    const ro = await watch(['t8/ups/sim1/command/result']);
    await until('t8 online', async () => (await retained('t8/status', 100)).get('t8/status') === 'online');
    await ro.client.publishAsync('t8/ups/sim1/command', 'beeper.mute', { qos: 1 });
    await until('the refusal', () => ro.seen.length > 0);
    expectRefused(json(ro.seen[0]!.text), /not in mqtt.allow_commands/);
  });

  test('stop says offline (retained) and ends the client within the stop timeout', async () => {
    const app = await simApp();
    const part = mqttPart(app, {
      url: `mqtt://127.0.0.1:${broker.plainPort}`,
      topic_prefix: 't9',
      discovery_prefix: 'ha9',
    });
    await part.start();
    await until('online', async () => (await retained('t9/status', 100)).get('t9/status') === 'online');
    await part.stop();
    expect((await retained('t9/status', 150)).get('t9/status')).toBe('offline');
    // A broker that is not there: stop still returns (bounded), and start did not wait for it.
    const nowhere = mqttPart(app, { url: 'mqtt://127.0.0.1:1', topic_prefix: 't10', discovery_prefix: 'ha10' });
    await nowhere.start();
    await nowhere.stop();
  });

  test('wired in the App from the mqtt: section: online with the state at start, offline when it stops', async () => {
    const app = await startSimApp({
      extra: {
        mqtt: {
          url: `mqtt://127.0.0.1:${broker.plainPort}`,
          topic_prefix: 't11',
          discovery_prefix: 'ha11',
          client_id: 't11',
        },
      },
    });
    let stopped = false;
    cleanup.push(() => (stopped ? undefined : app.stop()));
    const r = await until('online with a state', async () => {
      const m = await retained('t11/#', 150);
      return m.get('t11/status') === 'online' && m.has('t11/ups/sim1/state') ? m : null;
    });
    expect(json(r.get('t11/ups/sim1/state')).connected).toBe('ON');
    await app.stop();
    stopped = true;
    expect((await retained('t11/status', 150)).get('t11/status')).toBe('offline');
  });
});
