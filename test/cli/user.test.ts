import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { runUser } from '../../src/cli/user.js';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { verifyPassword } from '../../src/web/auth/password-hash.js';
import { WebUsers } from '../../src/web/auth/users.js';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const tsx = resolve(root, 'node_modules/.bin/tsx');

const CONFIG = `# The rack's appliance.
ups:
  - name: rack # the one in the cellar
    source: { kind: sim }

# NUT followers and console users.
users:
  - name: mon
    password: monpass   # Synology's fixed one
    upsmon: secondary
  - name: ops
    role: operator
    password_env: OPS_PW

# Keep this last.
nut_server:
  enabled: false
`;

async function user(args: string[], stdin: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runUser(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    {
      stdin: Readable.from([stdin]),
      prompt: () => undefined,
      env,
    },
  );
  return { code, out: out.join('\n'), err };
}

function configFile(): { dir: string; file: string } {
  const dir = tempDir();
  const file = join(dir, 'upsguard.yaml');
  writeFileSync(file, CONFIG);
  chmodSync(file, 0o640);
  return { dir, file };
}

describe('upsguard user add', () => {
  test('adds a user with a hash to the YAML file; comments, order and mode survive; the file loads and verifies', async () => {
    const { dir, file } = configFile();
    const r = await user(['add', 'ann', '--role', 'admin', '--config', file], 'ann-pw-1\nignored second line\n', {
      OPS_PW: 'x',
    });
    expect(r).toEqual({ code: 0, out: `${file}: user ann added (role admin)`, err: [] });
    const text = readFileSync(file, 'utf8');
    for (const kept of [
      "# The rack's appliance.",
      '# the one in the cellar',
      '# NUT followers and console users.',
      "# Synology's fixed one",
      '# Keep this last.',
      'source: { kind: sim }',
    ]) {
      expect(text).toContain(kept);
    }
    expect(text).not.toContain('ann-pw-1');
    expect(text.indexOf('name: ann')).toBeLessThan(text.indexOf('# Keep this last.'));
    expect(text.indexOf('name: ops')).toBeLessThan(text.indexOf('name: ann'));
    expect(statSync(file).mode & 0o777).toBe(0o640);
    // Written through a temp file that is gone.
    expect(readdirSync(dir)).toEqual(['upsguard.yaml']);

    const loaded = loadConfigFile(file, { OPS_PW: 'ops-pw' });
    const ann = loaded.config.users.find((u) => u.name === 'ann')!;
    expect(ann.role).toBe('admin');
    expect(ann.password_hash).toMatch(/^scrypt\$15\$8\$1\$/);
    const users = await WebUsers.create(loaded.config.users, createLogger({ level: 'silent' }));
    await expect(users.verify('ann', 'ann-pw-1')).resolves.toBe('admin');
    await expect(users.verify('ann', 'ignored second line')).resolves.toBeNull();
  }, 30_000);

  test('updates an existing user: the hash replaces its plain password, its NUT role stays', async () => {
    const { file } = configFile();
    const pwFile = join(file, '..', 'pw.txt');
    writeFileSync(pwFile, 'new-mon-pw\n');
    const r = await user(['add', 'mon', '--role', 'viewer', '--password-file', pwFile], '', {
      UPSGUARD_CONFIG: file,
      OPS_PW: 'x',
    });
    expect(r).toEqual({ code: 0, out: `${file}: user mon updated (role viewer)`, err: [] });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# NUT followers and console users.');
    expect(text).not.toContain('monpass');
    const raw = parse(text) as { users: Record<string, unknown>[] };
    expect(raw.users.map((u) => u.name)).toEqual(['mon', 'ops']);
    expect(Object.keys(raw.users[0]!).sort()).toEqual(['name', 'password_hash', 'role', 'upsmon']);
    expect(raw.users[0]!.upsmon).toBe('secondary');
    await expect(verifyPassword(String(raw.users[0]!.password_hash), 'new-mon-pw')).resolves.toBe(true);
    expect(loadConfigFile(file, { OPS_PW: 'x' }).config.users[0]!.upsmon).toBe('secondary');
  }, 30_000);

  test('without a config it prints the entry; bad input is exit 1 and one line, the file untouched', async () => {
    const printed = await user(['add', 'bob', '--role', 'viewer'], 'bob-pw\n');
    expect(printed.code).toBe(0);
    const entry = (parse(printed.out) as Record<string, string>[])[0]!;
    expect(entry.name).toBe('bob');
    expect(entry.role).toBe('viewer');
    await expect(verifyPassword(entry.password_hash!, 'bob-pw')).resolves.toBe(true);
    expect(printed.out).not.toContain('bob-pw\n');

    const { file } = configFile();
    const cases: [string[], string, string][] = [
      [['add', 'ann', '--role', 'admin', '--config', file], '\n', 'upsguard: the password is empty'],
      [['add', 'ann', '--role', 'admin', '--config', file], '', 'upsguard: the password is empty'],
      [
        ['add', 'ann', '--role', 'root', '--config', file],
        'pw\n',
        'upsguard: --role must be one of viewer, operator, admin',
      ],
      [
        ['add', 'a b', '--role', 'admin', '--config', file],
        'pw\n',
        'upsguard: user name "a b": use 1-32 letters, digits, dot, dash or underscore',
      ],
      [
        ['add', 'ann', '--role', 'admin', '--config', `${file}.missing`],
        'pw\n',
        `upsguard: ${file}.missing: cannot read it (ENOENT)`,
      ],
      [['add', 'ann', '--role', 'admin', '--bogus'], 'pw\n', 'upsguard: unknown option --bogus'],
      [
        ['remove', 'ann'],
        '',
        'upsguard: usage: upsguard user add NAME --role viewer|operator|admin [--config FILE] [--password-file FILE]',
      ],
    ];
    for (const [args, stdin, line] of cases) {
      const r = await user(args, stdin, { OPS_PW: 'x' });
      expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 1, err: [line] });
    }
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  }, 30_000);

  test('a users key that is not a list is refused by name and the file is not changed', async () => {
    const { file } = configFile();
    writeFileSync(file, CONFIG.replace(/users:[\s\S]*?# Keep/, 'users: {}\n\n# Keep'));
    const before = readFileSync(file, 'utf8');
    const r = await user(['add', 'ann', '--role', 'admin', '--config', file], 'pw\n');
    expect(r).toEqual({ code: 1, out: '', err: [`upsguard: ${file}: users is not a list`] });
    expect(readFileSync(file, 'utf8')).toBe(before);
  }, 30_000);
});

describe('upsguard user list', () => {
  test('names and roles, no secrets', async () => {
    const { file } = configFile();
    const r = await user(['list', '--config', file], '');
    expect(r).toEqual({ code: 0, out: 'mon  no web login, NUT upsmon secondary\nops  web operator', err: [] });
    expect(r.out).not.toContain('monpass');
  });
});

describe('the command as users run it', () => {
  test('upsguard user add reads the first line of a piped stdin and writes UPSGUARD_CONFIG', async () => {
    const { file } = configFile();
    const child = spawn(tsx, [resolve(root, 'src/main.ts'), 'user', 'add', 'ann', '--role', 'operator'], {
      cwd: root,
      env: { ...process.env, UPSGUARD_CONFIG: file, OPS_PW: 'x' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdin.end('piped-pw\n');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect({ code, out, err }).toEqual({ code: 0, out: `${file}: user ann added (role operator)\n`, err: '' });
    const ann = loadConfigFile(file, { OPS_PW: 'x' }).config.users.find((u) => u.name === 'ann')!;
    await expect(verifyPassword(ann.password_hash!, 'piped-pw')).resolves.toBe(true);
  }, 60_000);
});
