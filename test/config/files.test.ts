import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runConfigCheck } from '../../src/cli/config-check.js';
import { loadConfig, loadConfigFile, loadSectionFile } from '../../src/config/load.js';
import { relayAgentSchema } from '../../src/config/relay-schema.js';
import { MAX_CONFIG_FILE_BYTES } from '../../src/config/read-file.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { problemsOf } from '../helpers/config-problems.js';

function check(file: string): { code: number; err: string[] } {
  const err: string[] = [];
  const code = runConfigCheck(
    [file],
    () => undefined,
    (s) => err.push(s),
  );
  return { code, err };
}

const SIM = 'ups:\n  - name: u\n    source: { kind: sim }\n';

describe('config file size cap', () => {
  it('refuses a config file over the cap with a ConfigError naming the file and the cap', () => {
    const dir = tempDir();
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `${SIM}users:\n${'  - { name: a, password: b }\n'.repeat(60_000)}`);
    const problems = problemsOf(() => loadConfigFile(big, {}));
    expect(problems).toEqual([`larger than the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap for configuration files`]);
    try {
      loadConfigFile(big, {});
    } catch (e) {
      expect((e as ConfigError).message).toContain(big);
    }
    expect(MAX_CONFIG_FILE_BYTES).toBe(1024 * 1024);
  });

  it('stops reading /dev/zero and an endless FIFO at the cap', async () => {
    expect(problemsOf(() => loadConfigFile('/dev/zero', {}))[0]).toMatch(/cap/);
    const dir = tempDir();
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `cat /dev/zero > '${fifo}'`], { stdio: 'ignore' });
    const exited = new Promise((r) => writer.on('exit', r));
    expect(problemsOf(() => loadConfigFile(fifo, {}))[0]).toMatch(/cap/);
    await exited;
  });

  it('caps secret files and scenario files too', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'big.pass'), 'x'.repeat(MAX_CONFIG_FILE_BYTES + 1));
    writeFileSync(join(dir, 'big.scenario'), '0 mains on\n'.repeat(100_000));
    writeFileSync(
      join(dir, 'c.yaml'),
      'ups:\n  - name: u\n    source: { kind: sim, scenario: big.scenario }\n' +
        '  - name: n\n    source: { kind: nut, url: "nut://h/ups", password_file: big.pass }\n',
    );
    expect(problemsOf(() => loadConfigFile(join(dir, 'c.yaml'), {}))).toEqual([
      `ups.1.source.password_file: ${join(dir, 'big.pass')} is larger than the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap`,
    ]);
    writeFileSync(join(dir, 'big.pass'), 'fits');
    expect(problemsOf(() => loadConfigFile(join(dir, 'c.yaml'), {}))).toEqual([
      `ups.0.source.scenario: ${join(dir, 'big.scenario')} is larger than the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap`,
    ]);
    // A secret read through /dev/zero stops at the cap as well.
    writeFileSync(join(dir, 'z.yaml'), `${SIM}users:\n  - name: a\n    password_file: /dev/zero\n`);
    expect(problemsOf(() => loadConfigFile(join(dir, 'z.yaml'), {}))).toEqual([
      `users.0.password_file: /dev/zero is larger than the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap`,
    ]);
  });
});

describe('files the config refers to: checked by loading, so by serve and config check alike', () => {
  it('refuses a missing scenario file, missing TLS and key files, and a bad scenario', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.scenario'), 'soon mains sideways\n');
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      [
        'ups:',
        '  - name: a',
        '    source: { kind: sim, scenario: outage.txt }',
        '  - name: b',
        '    source: { kind: sim, scenario: bad.scenario }',
        '  - name: c',
        '    source: { kind: nut, url: "nut://h/ups", ca_file: ca.pem }',
        'nut_server: { tls_cert_file: cert.pem, tls_key_file: /nonexistent/key.pem }',
        'shutdown:',
        '  drivers:',
        '    - name: s',
        '      kind: ssh',
        '      hosts: [{ name: n, address: 10.0.0.1, key_file: keys/id, known_hosts: kh }]',
        '',
      ].join('\n'),
    );
    const problems = problemsOf(() => loadConfigFile(file, {}));
    expect(problems).toEqual([
      `ups.0.source.scenario: cannot read ${join(dir, 'outage.txt')} (ENOENT)`,
      expect.stringMatching(/^ups\.1\.source\.scenario: .*bad\.scenario.*line 1/),
      `ups.2.source.ca_file: cannot read ${join(dir, 'ca.pem')} (ENOENT)`,
      `nut_server.tls_cert_file: cannot read ${join(dir, 'cert.pem')} (ENOENT)`,
      'nut_server.tls_key_file: cannot read /nonexistent/key.pem (ENOENT)',
      `shutdown.drivers.0.hosts.0.key_file: cannot read ${join(dir, 'keys/id')} (ENOENT)`,
      `shutdown.drivers.0.hosts.0.known_hosts: cannot read ${join(dir, 'kh')} (ENOENT)`,
    ]);
    const r = check(file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `upsguard: ${file}: ups.0.source.scenario: cannot read ${join(dir, 'outage.txt')} (ENOENT)`,
    );
  });

  it('accepts the same config once the files exist; a directory is not a file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'outage.txt'), '0 mains on\n10 mains off\n');
    mkdirSync(join(dir, 'cert.pem'));
    writeFileSync(join(dir, 'key.pem'), 'k');
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      'ups:\n  - name: a\n    source: { kind: sim, scenario: outage.txt }\nnut_server: { tls_cert_file: cert.pem, tls_key_file: key.pem }\n',
    );
    expect(problemsOf(() => loadConfigFile(file, {}))).toEqual([
      `nut_server.tls_cert_file: cannot read ${join(dir, 'cert.pem')} (EISDIR)`,
    ]);
    writeFileSync(
      file,
      'ups:\n  - name: a\n    source: { kind: sim, scenario: outage.txt }\nnut_server: { tls_key_file: key.pem, tls_cert_file: key.pem }\n',
    );
    expect(check(file).code).toBe(0);
  });
});

describe('relative paths resolve from the config file directory', () => {
  it('store.path, scenario, TLS, CA and key files, secrets: all from the file, not the working directory', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'etc'));
    for (const f of ['outage.txt', 'cert.pem', 'key.pem', 'ca.pem', 'id', 'kh', 'pw']) {
      writeFileSync(join(dir, 'etc', f), f === 'outage.txt' ? '0 mains on\n' : 'x');
    }
    const file = join(dir, 'etc', 'c.yaml');
    writeFileSync(
      file,
      [
        'store: { path: data/u.db }',
        'ups:',
        '  - name: a',
        '    source: { kind: sim, scenario: outage.txt }',
        '  - name: b',
        '    source: { kind: nut, url: "nut://h/ups", ca_file: ./ca.pem, password_file: pw }',
        'nut_server: { tls_cert_file: cert.pem, tls_key_file: key.pem }',
        'relay: { db: relay.db, keys_file: kh }',
        'notify: { command: { path: ./notify.sh } }',
        'shutdown:',
        '  drivers:',
        '    - { name: v, kind: vsphere, url: "https://vc/sdk", username: u, password: p, ca_file: ca.pem }',
        '    - { name: l, kind: libvirt, uri: "qemu+ssh://k/system", ssh_key_file: id, ssh_known_hosts: kh }',
        '    - name: s',
        '      kind: ssh',
        `      hosts: [{ name: n, address: 10.0.0.1, key_file: id, known_hosts: ${join(dir, 'abs-kh')} }]`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'abs-kh'), 'x');
    const e = (f: string): string => join(dir, 'etc', f);
    // The working directory is not the config's: nothing may resolve from it.
    expect(process.cwd()).not.toBe(join(dir, 'etc'));
    const { config, baseDir } = loadConfigFile(file, {});
    expect(baseDir).toBe(join(dir, 'etc'));
    expect(config.store.path).toBe(e('data/u.db'));
    expect(config.ups[0]?.source).toMatchObject({ scenario: e('outage.txt') });
    expect(config.ups[1]?.source).toMatchObject({ ca_file: e('ca.pem'), password: 'x' });
    expect(config.nut_server).toMatchObject({ tls_cert_file: e('cert.pem'), tls_key_file: e('key.pem') });
    expect(config.relay).toMatchObject({ db: e('relay.db'), keys_file: e('kh') });
    expect(config.notify.command?.path).toBe(e('notify.sh'));
    const [v, l, s] = config.shutdown.drivers;
    expect(v).toMatchObject({ ca_file: e('ca.pem') });
    expect(l).toMatchObject({ ssh_key_file: e('id'), ssh_known_hosts: e('kh') });
    expect(s?.kind === 'ssh' ? s.hosts[0] : undefined).toMatchObject({
      key_file: e('id'),
      known_hosts: join(dir, 'abs-kh'),
    });
    // The relay agent loads its section alone, by the same rule.
    expect(loadSectionFile(file, 'relay', relayAgentSchema)).toMatchObject({ db: e('relay.db'), keys_file: e('kh') });
  });

  it('leaves built-in scenario names, :memory:, and bare command names alone; the demo resolves from cwd', () => {
    const dir = tempDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(
      file,
      'store: { path: ":memory:" }\nups:\n  - name: a\n    source: { kind: sim, scenario: demo-loop }\nnotify: { command: { path: logger } }\n',
    );
    const { config } = loadConfigFile(file, {});
    expect(config.store.path).toBe(':memory:');
    expect(config.ups[0]?.source).toMatchObject({ scenario: 'demo-loop' });
    expect(config.notify.command?.path).toBe('logger');
    expect(loadConfig(undefined, {}).config.store.path).toBe(join(process.cwd(), 'data/demo.db'));
  });
});
