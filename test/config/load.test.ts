import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConfigCheck } from '../../src/cli/config-check.js';
import { loadConfig, loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { problemsOf } from '../helpers/config-problems.js';

describe('configuration', () => {
  it('runs the demo with no file, with defaults from the schema', () => {
    const loaded = loadConfig(undefined, {});
    expect(loaded.isDemo).toBe(true);
    expect(loaded.config.web).toEqual({
      host: '127.0.0.1',
      port: 8080,
      request_timeout_ms: 10_000,
      headers_timeout_ms: 10_000,
      keep_alive_timeout_ms: 5000,
      connection_timeout_ms: 60_000,
      max_connections_per_address: 64,
      max_connections: 256,
      body_limit_bytes: 262_144,
      stream_max_unsent_bytes: 262_144,
      stream_stall_ms: 30_000,
      max_streams: 32,
      max_streams_per_address: 8,
      session_idle_s: 1800,
      session_max_s: 43_200,
      server_names: [],
      action_rate_per_min: 30,
      public_status: false,
      metrics_networks: ['127.0.0.0/8', '::1/128'],
    });
    expect(loaded.config.stop_timeout_s).toBe(5);
    expect(loaded.config.store.retry_s).toBe(60);
    expect(loaded.config.monitor.quick_interval_s).toBe(2);
    expect(loaded.config.monitor.full_interval_s).toBe(30);
    expect(loaded.config.store.raw_retention_hours).toBe(48);
    expect(loaded.config.ups[0]?.source).toMatchObject({ kind: 'sim', device: 'cyberpower-cp1500pfclcd' });
    expect(Object.isFrozen(loaded.config.ups[0])).toBe(true);
  });

  it('takes the file from UPSGUARD_CONFIG when --config is absent', () => {
    const dir = tempDir();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'ups:\n  - name: rack\n    source: { kind: usb, vendor_id: "051d" }\n');
    const loaded = loadConfig(undefined, { UPSGUARD_CONFIG: file });
    expect(loaded.source).toBe(file);
    expect(loaded.config.ups[0]?.source).toEqual({ kind: 'usb', vendor_id: 0x051d });
  });

  it('reports every problem at once, each with its path', () => {
    const problems = problemsOf(() =>
      parseConfigText(
        [
          'web: { port: 99999, colour: blue }',
          'monitor: { quick_interval_s: -1 }',
          'ups:',
          '  - name: "bad name!"',
          '    source: { kind: usb, vendor_id: "xyz" }',
          '  - name: a',
          '    source: { kind: floppy }',
          '  - name: b',
          '    source: { kind: sim }',
          '    off_delay_s: 60',
          '    on_delay_s: 30',
        ].join('\n'),
        'test.yaml',
        '/',
        {},
      ),
    );
    const joined = problems.join('\n');
    expect(joined).toMatch(/^web\.port: /m);
    expect(joined).toMatch(/^web: .*colour/m);
    expect(joined).toMatch(/^monitor\.quick_interval_s: /m);
    expect(joined).toMatch(/^ups\.0\.name: use 1-32 letters/m);
    expect(joined).toMatch(/^ups\.0\.source\.vendor_id: expected a 16-bit hex id/m);
    expect(joined).toMatch(/^ups\.1\.source\.kind: /m);
    expect(joined).toMatch(/^ups\.2\.on_delay_s: must be longer than off_delay_s/m);
    expect(problems.length).toBeGreaterThanOrEqual(7);
  });

  it('names the YAML line of a syntax error', () => {
    const problems = problemsOf(() => parseConfigText('ups:\n  - name: a\n   bad: [', 'x.yaml', '/', {}));
    expect(problems[0]).toMatch(/^line \d+: /);
  });

  it('reads secrets from files and environment variables, and says which one is missing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'admin.pass'), 'correct horse battery\n');
    const base = 'ups:\n  - name: u\n    source: { kind: sim }\nusers:\n';
    const loaded = parseConfigText(
      `${base}  - name: admin\n    password_file: admin.pass\n  - name: ops\n    password_env: OPS_PASS\n`,
      'x.yaml',
      dir,
      { OPS_PASS: 'from the environment' },
    );
    expect(loaded.config.users.map((u) => u.password)).toEqual(['correct horse battery', 'from the environment']);
    expect(loaded.secrets).toContain('correct horse battery');

    const problems = problemsOf(() =>
      parseConfigText(
        `${base}  - name: admin\n    password_file: nope.pass\n  - name: ops\n    password_env: NOPE\n`,
        'x.yaml',
        dir,
        {},
      ),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^users\.0\.password_file: cannot read .*nope\.pass \(ENOENT\)$/),
      expect.stringMatching(/^users\.1\.password_env: environment variable NOPE is not set$/),
    ]);
  });

  it('never puts a secret in an error message', () => {
    const problems = problemsOf(() =>
      parseConfigText(
        'ups:\n  - name: u\n    source: { kind: sim }\nusers:\n  - name: x\n    password: "tab\\there-s3cret"\n',
        'x',
        '/',
        {},
      ),
    );
    expect(problems).toEqual(['users.0.password: must not contain control characters']);
    expect(problems.join('\n')).not.toContain('s3cret');
  });

  it('upsguard config check exits 0 for a good file and 1 listing the problems for a bad one', () => {
    const dir = tempDir();
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, 'ups:\n  - name: u\n    source: { kind: sim, scenario: demo-loop }\n');
    writeFileSync(bad, 'ups: []\nweb: { port: "x" }\n');
    const out: string[] = [];
    const err: string[] = [];
    expect(
      runConfigCheck(
        [good],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(0);
    expect(out.join('\n')).toContain('ok');
    expect(
      runConfigCheck(
        [bad],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
    ).toBe(1);
    expect(err.join('\n')).toMatch(/2 problems/);
    expect(err.join('\n')).toMatch(/ups: configure at least one UPS/);
    expect(err.join('\n')).toMatch(/web\.port: /);
    expect(
      runConfigCheck(
        [join(dir, 'missing.yaml')],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(1);
    expect(err.at(-1)).toBe(
      `upsguard: ${join(dir, 'missing.yaml')}: cannot read configuration: no such file or directory (ENOENT)`,
    );
  });

  it('loads a file relative to its own directory', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p'), 'abcdefghij');
    writeFileSync(
      join(dir, 'c.yaml'),
      'ups:\n  - name: u\n    source: { kind: sim }\nusers:\n  - name: a\n    password_file: p\n',
    );
    expect(loadConfigFile(join(dir, 'c.yaml'), {}).config.users[0]?.password).toBe('abcdefghij');
  });
});

describe('configuration parser under arbitrary input', () => {
  it('gives a ConfigError or a valid config, never anything else', async () => {
    const fc = (await import('fast-check')).default;
    const yamlish = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .array(
          fc.tuple(
            fc.constantFrom('ups', 'web', 'store', 'monitor', 'users', 'name', 'source', '- ', '  '),
            fc.string({ maxLength: 20 }),
          ),
          { maxLength: 12 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}: ${v}`).join('\n')),
      fc.jsonValue().map((v) => JSON.stringify({ ups: [v] })),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          parseConfigText(text, 'fuzz.yaml', '/nonexistent', {});
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('rejects duplicate UPS names', () => {
    expect(
      problemsOf(() =>
        parseConfigText(
          'ups:\n  - { name: a, source: { kind: sim } }\n  - { name: a, source: { kind: sim } }\n',
          'x',
          '/',
          {},
        ),
      ),
    ).toEqual(['ups.1.name: duplicate UPS name a']);
  });
});
