import { describe, expect, test } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';

const base = { store: { path: ':memory:' }, ups: [{ name: 'u', source: { kind: 'sim' } }] };
const check = (extra: object) => validateConfig({ ...base, ...extra }, 'test', process.cwd(), {});

describe('NUT configuration', () => {
  test('defaults: upsd on 127.0.0.1:3493 with its limits', () => {
    expect(check({}).config.nut_server).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 3493,
      max_connections: 64,
      max_connections_per_address: 8,
      max_line_length: 1024,
      idle_timeout_s: 60,
      command_timeout_ms: 10_000,
      handshake_timeout_ms: 10_000,
      login_failures: 5,
      login_failure_window_s: 60,
      login_delay_max_s: 5,
      aliases: {},
    });
  });

  test('users carry NUT roles; master and slave read as primary and secondary', () => {
    const users = check({
      users: [
        { name: 'nas', password: 'password1', upsmon: 'slave' },
        { name: 'admin', password: 'password2', upsmon: 'master', actions: ['set', 'FSD'], instcmds: ['ALL'] },
      ],
    }).config.users;
    expect(users.map((u) => [u.upsmon, u.actions, u.instcmds])).toEqual([
      ['secondary', [], []],
      ['primary', ['SET', 'FSD'], ['ALL']],
    ]);
  });

  test('a nut source with its defaults, and every problem named', () => {
    const c = check({
      ups: [{ name: 'nas', source: { kind: 'nut', url: 'nut://monuser@10.0.0.5/ups', password: 'pw' } }],
    });
    expect(c.config.ups[0]!.source).toEqual({
      kind: 'nut',
      url: 'nut://monuser@10.0.0.5/ups',
      password: 'pw',
      starttls: 'off',
      login: true,
      poll_interval_s: 2,
      on_battery_poll_interval_s: 1,
      allowed_commands: [],
    });
    expect(() =>
      check({
        ups: [{ name: 'nas', source: { kind: 'nut', url: 'http://x', starttls: 'maybe' } }],
        users: [{ name: 'a', password: 'password1', upsmon: 'boss', instcmds: ['rm -rf'] }],
        nut_server: { tls_cert_file: 'c.pem', port: 70_000 },
      }),
    ).toThrow(
      /ups\.0\.source\.url: expected nut:\/\/USER@HOST:PORT\/UPSNAME[\s\S]*ups\.0\.source\.starttls[\s\S]*users\.0\.upsmon[\s\S]*users\.0\.instcmds\.0[\s\S]*nut_server\.port/,
    );
    expect(() => check({ nut_server: { tls_cert_file: 'c.pem' } })).toThrow(
      'nut_server.tls_key_file: give both tls_cert_file and tls_key_file, or neither',
    );
  });
});
