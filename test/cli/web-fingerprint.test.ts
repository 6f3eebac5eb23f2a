import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWeb } from '../../src/cli/web.js';
import { selfSignedCert } from '../helpers/self-signed.js';
import { tempDir } from '../helpers/tmp.js';

const root = resolve(import.meta.dirname, '../..');
const UPS = 'ups:\n  - name: u\n    source: { kind: sim }\n';

async function web(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runWeb(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const fingerprintIn = (text: string): string | undefined => /SHA-256 ([0-9A-F:]{95})/.exec(text)?.[1];

describe('upsguard web fingerprint', () => {
  it('says there is no certificate yet and exits 1; --make makes the one serve will use', async () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `web: { host: 0.0.0.0 }\nstore: { path: db/u.db }\n${UPS}`);
    const none = await web(['fingerprint', '--config', config]);
    expect(none.code).toBe(1);
    expect(none.err).toContain(`no web certificate yet: ${join(dir, 'db', 'web-cert.pem')} does not exist`);

    const made = await web(['fingerprint', '--config', config, '--make']);
    expect(made.code).toBe(0);
    const pem = readFileSync(join(dir, 'db', 'web-cert.pem'));
    expect(fingerprintIn(made.out)).toBe(new X509Certificate(pem).fingerprint256);

    const again = await web(['fingerprint', '--config', config]);
    expect(again.code).toBe(0);
    expect(fingerprintIn(again.out)).toBe(fingerprintIn(made.out));
    // --make on a usable pair keeps it.
    expect(fingerprintIn((await web(['fingerprint', '--config', config, '--make'])).out)).toBe(fingerprintIn(made.out));
  });

  it('an unusable kept pair is reported with why, and exits 1', async () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `web: { host: 10.1.2.3, tls_dir: tls }\nstore: { path: ':memory:' }\n${UPS}`);
    await web(['fingerprint', '--config', config, '--make']);
    writeFileSync(join(dir, 'tls', 'web-key.pem'), 'junk');
    const r = await web(['fingerprint', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${join(dir, 'tls', 'web-key.pem')} is not a PEM private key`);
  });

  it('prints the configured certificate when there is one', async () => {
    const dir = tempDir();
    const own = selfSignedCert(dir, 'ups.home.arpa');
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `web: { tls_cert_file: ${own.cert}, tls_key_file: ${own.key} }\n${UPS}`);
    const r = await web(['fingerprint', '--config', config]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`web certificate ${own.cert} (configured`);
    expect(fingerprintIn(r.out)).toBe(new X509Certificate(readFileSync(own.cert)).fingerprint256);
  });

  it('is a command of the CLI; anything else under `web` is a usage error', () => {
    const dir = tempDir();
    const config = join(dir, 'c.yaml');
    writeFileSync(config, `store: { path: ':memory:' }\n${UPS}`);
    const cli = (args: string[]) =>
      spawnSync(resolve(root, 'node_modules/.bin/tsx'), [resolve(root, 'src/main.ts'), ...args], {
        encoding: 'utf8',
        cwd: root,
      });
    const none = cli(['web', 'fingerprint', '--config', config]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`no web certificate yet: ${join(dir, 'data', 'web-cert.pem')}`);
    const bad = cli(['web', 'frobnicate']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: upsguard web fingerprint');
  }, 30_000);
});
