import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js';
import { webTlsSettings } from '../../../src/web/tls/web-certificate.js';
import { problemsOf } from '../../helpers/config-problems.js';
import { tempDir } from '../../helpers/tmp.js';

const UPS = 'ups:\n  - name: u\n    source: { kind: sim }\n';

describe('web TLS configuration', () => {
  it('takes tls_cert_file and tls_key_file together or not at all', () => {
    expect(problemsOf(() => parseConfigText(`web: { tls_cert_file: c.pem }\n${UPS}`, 'c.yaml', '/etc/ups'))).toEqual([
      'web.tls_key_file: give both tls_cert_file and tls_key_file, or neither',
    ]);
    expect(problemsOf(() => parseConfigText(`web: { tls_key_file: k.pem }\n${UPS}`, 'c.yaml', '/etc/ups'))).toEqual([
      'web.tls_cert_file: give both tls_cert_file and tls_key_file, or neither',
    ]);
  });

  it('resolves the pair and tls_dir from the config file directory', () => {
    const loaded = parseConfigText(
      `web: { tls_cert_file: tls/c.pem, tls_key_file: /abs/k.pem, tls_dir: keep }\n${UPS}`,
      'c.yaml',
      '/etc/ups',
    );
    expect(webTlsSettings(loaded)).toMatchObject({
      certFile: '/etc/ups/tls/c.pem',
      keyFile: '/abs/k.pem',
      dir: '/etc/ups/keep',
    });
  });

  it('keeps the self-signed pair beside the store by default, or in data/ when the store is in memory', () => {
    expect(webTlsSettings(parseConfigText(`store: { path: db/u.db }\n${UPS}`, 'c.yaml', '/etc/ups')).dir).toBe(
      '/etc/ups/db',
    );
    expect(webTlsSettings(parseConfigText(`store: { path: ':memory:' }\n${UPS}`, 'c.yaml', '/etc/ups')).dir).toBe(
      '/etc/ups/data',
    );
    const plain = webTlsSettings(parseConfigText(UPS, 'c.yaml', '/etc/ups'));
    expect(plain).toMatchObject({ certFile: null, keyFile: null, dir: '/etc/ups/data', serverNames: [] });
  });

  it('a configured pair that cannot be read is a load problem naming the key and the file', () => {
    const dir = tempDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, `web: { tls_cert_file: nope.pem, tls_key_file: nope.key }\n${UPS}`);
    const problems = problemsOf(() => loadConfigFile(file));
    expect(problems.some((p) => p.startsWith('web.tls_cert_file:') && p.includes('nope.pem'))).toBe(true);
    expect(problems.some((p) => p.startsWith('web.tls_key_file:') && p.includes('nope.key'))).toBe(true);
  });
});
