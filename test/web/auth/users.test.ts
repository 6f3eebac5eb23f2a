import { Writable } from 'node:stream';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { hashPassword } from '../../../src/web/auth/password-hash.js';
import { WebUsers } from '../../../src/web/auth/users.js';
import { problemsOf } from '../../helpers/config-problems.js';

const UPS = 'ups:\n  - name: u\n    source: { kind: sim }\n';
let annHash = '';

beforeAll(async () => {
  annHash = await hashPassword('ann-secret-1');
});

function load(users: string, env: NodeJS.ProcessEnv = {}) {
  return parseConfigText(`${UPS}users:\n${users}`, 'c.yaml', '/', env).config;
}

function capture() {
  let text = '';
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString();
        done();
      },
    }),
  });
  return { log, text: () => text };
}

describe('config users: web role, password or password_hash', () => {
  test('a hashed user, a plain-password user and a NUT-only user load; web and NUT roles are separate', async () => {
    const config = load(
      [
        `  - { name: ann, role: admin, password_hash: "${annHash}" }`,
        '  - { name: bob, role: viewer, password_env: BOB_PW, upsmon: primary }',
        '  - { name: mon, password: monpass, upsmon: secondary }',
      ].join('\n'),
      { BOB_PW: 'bob-secret-2' },
    );
    const { log, text } = capture();
    const users = await WebUsers.create(config.users, log);
    expect(users.list()).toEqual([
      { name: 'ann', role: 'admin', nut: false, source: 'config' },
      { name: 'bob', role: 'viewer', nut: true, source: 'config' },
      { name: 'mon', role: null, nut: true, source: 'config' },
    ]);
    await expect(users.verify('ann', 'ann-secret-1')).resolves.toBe('admin');
    await expect(users.verify('bob', 'bob-secret-2')).resolves.toBe('viewer');
    await expect(users.verify('ann', 'bob-secret-2')).resolves.toBeNull();
    await expect(users.verify('bob', 'Bob-secret-2')).resolves.toBeNull();
    // A NUT user without a web role has no web login, even with the right password.
    await expect(users.verify('mon', 'monpass')).resolves.toBeNull();
    await expect(users.verify('nobody', 'ann-secret-1')).resolves.toBeNull();
    await expect(users.verify('', '')).resolves.toBeNull();
    expect(JSON.stringify(users.list())).not.toMatch(/secret|scrypt|monpass/);
    expect(text()).not.toMatch(/secret|scrypt|monpass/);
  });

  test('the demo admin is added in memory and logs in', async () => {
    const users = await WebUsers.create([], capture().log);
    const ready = users.addEphemeral('admin', 'admin', 'demo-pw-1234');
    // It can be checked before its hash is done: the check waits for it.
    await expect(users.verify('admin', 'demo-pw-1234')).resolves.toBe('admin');
    await ready;
    await expect(users.verify('admin', 'nope')).resolves.toBeNull();
    expect(users.list()).toEqual([{ name: 'admin', role: 'admin', nut: false, source: 'demo' }]);
  });

  test('exactly one of password and password_hash; a bad hash or role is named; names are unique', () => {
    expect(problemsOf(() => load('  - { name: a, role: admin }'))).toEqual([
      'users.0.password: give a password_hash (upsguard user add) or a password_file',
    ]);
    expect(problemsOf(() => load(`  - { name: a, role: admin, password: x, password_hash: "${annHash}" }`))).toEqual([
      'users.0.password: give password or password_hash, not both',
    ]);
    expect(problemsOf(() => load('  - { name: a, role: admin, password_hash: "hunter2" }'))).toEqual([
      'users.0.password_hash: password hash: expected 6 fields separated by $ (scrypt$log2N$r$p$salt$key), found 1 (write it with upsguard user add)',
    ]);
    const badRole = problemsOf(() => load('  - { name: a, role: root, password: x }'));
    expect(badRole).toHaveLength(1);
    expect(badRole[0]).toMatch(/^users\.0\.role: .*"viewer"\|"operator"\|"admin"/);
    expect(problemsOf(() => load('  - { name: a, password: x }\n  - { name: a, password: y }'))).toEqual([
      'users.1.name: duplicate user name a',
    ]);
    // A password_file that cannot be read is reported once, as the file's problem, not also as "no password".
    const missing = problemsOf(() => load('  - { name: a, role: admin, password_file: /nonexistent/pw }'));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^users\.0\.password_file: /);
  });
});
