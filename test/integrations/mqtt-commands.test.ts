import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt-schema.js';
import { UpsguardError } from '../../src/errors.js';
import { parseCommand, runCommand } from '../../src/integrations/mqtt/commands.js';
import { MqttTopics } from '../../src/integrations/mqtt/topics.js';
import type { UpsCommand } from '../../src/ups/pdc/index.js';

function handle(supported: UpsCommand[]) {
  const sent: string[] = [];
  return {
    sent,
    h: {
      name: 'rack',
      supportedCommands: () => supported,
      command: (cmd: UpsCommand) => {
        sent.push(cmd);
        return Promise.resolve();
      },
    },
  };
}

describe('MQTT commands', () => {
  test('a bare name or JSON with a confirmation; anything else a typed error', () => {
    expect(parseCommand('beeper.mute\n')).toEqual({ command: 'beeper.mute', confirm: null });
    expect(parseCommand(Buffer.from('{"command":"shutdown.return","confirm":"rack"}'))).toEqual({
      command: 'shutdown.return',
      confirm: 'rack',
    });
    expect(() => parseCommand('')).toThrow(/payload/);
    expect(() => parseCommand('BEEPER MUTE')).toThrow(/command: expected/);
    expect(() => parseCommand('{"command":1}')).toThrow(/command: expected/);
    expect(() => parseCommand('{"command":"a","confirm":2}')).toThrow(/confirm/);
    expect(() => parseCommand('x'.repeat(600))).toThrow(/payload/);
  });

  test('fuzz: any payload parses or is refused with an UpsguardError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 600 })), (p) => {
        try {
          const r = parseCommand(typeof p === 'string' ? p : Buffer.from(p));
          expect(r.command).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
        } catch (err) {
          expect(err).toBeInstanceOf(UpsguardError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('only allowed and supported commands reach the UPS; one that cuts power needs its confirmation', async () => {
    const { h, sent } = handle(['beeper.mute', 'shutdown.return', 'test.battery.start.quick']);
    const allowed = new Set(['beeper.mute', 'shutdown.return', 'load.off']);
    expect((await runCommand(h, allowed, { command: 'test.battery.start.quick', confirm: null })).ok).toBe(false);
    expect((await runCommand(h, allowed, { command: 'load.off', confirm: null })).message).toMatch(/has no command/);
    expect((await runCommand(h, allowed, { command: 'shutdown.return', confirm: null })).message).toMatch(/confirm/);
    expect((await runCommand(h, allowed, { command: 'shutdown.return', confirm: 'other' })).ok).toBe(false);
    expect(sent).toEqual([]);
    expect((await runCommand(h, allowed, { command: 'beeper.mute', confirm: null })).ok).toBe(true);
    expect((await runCommand(h, allowed, { command: 'shutdown.return', confirm: 'rack' })).ok).toBe(true);
    expect(sent).toEqual(['beeper.mute', 'shutdown.return']);
  });

  test('a UPS whose command fails: the outcome says so, nothing throws', async () => {
    const h = {
      name: 'rack',
      supportedCommands: (): UpsCommand[] => ['beeper.mute'],
      command: () => Promise.reject(new Error('device busy')),
    };
    expect(await runCommand(h, new Set(['beeper.mute']), { command: 'beeper.mute', confirm: null })).toEqual({
      command: 'beeper.mute',
      ok: false,
      message: 'rack: beeper.mute failed: device busy',
    });
  });

  test('command topics: only <prefix>/ups/<name>/command names a UPS', () => {
    const t = new MqttTopics('home/ups', 'homeassistant');
    expect(t.upsOfCommand('home/ups/ups/rack-1/command')).toBe('rack-1');
    expect(t.upsOfCommand('home/ups/ups/rack/extra/command')).toBeNull();
    expect(t.upsOfCommand('home/ups/ups//command')).toBeNull();
    expect(t.upsOfCommand('other/ups/rack/command')).toBeNull();
  });
});

describe('mqtt: config', () => {
  test('defaults, and every problem by path', () => {
    const c = mqttSchema.parse({ url: 'mqtt://broker:1883' });
    expect(c).toMatchObject({ topic_prefix: 'upsguard', discovery_prefix: 'homeassistant', allow_commands: [] });
    const r = mqttSchema.safeParse({
      url: 'http://x',
      password: 'p',
      topic_prefix: 'a/#',
      allow_commands: ['Beeper Mute'],
      reconnect_min_ms: 5000,
      reconnect_max_ms: 100,
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['url', 'topic_prefix', 'allow_commands.0']));
    // The cross-field rules run once the fields are valid.
    const r2 = mqttSchema.safeParse({ url: 'mqtt://x', password: 'p', reconnect_min_ms: 5000, reconnect_max_ms: 100 });
    expect(r2.error!.issues.map((i) => i.path.join('.'))).toEqual(['reconnect_max_ms', 'username']);
    expect(JSON.stringify(r2.error!.issues)).not.toContain('"p"');
  });
});
