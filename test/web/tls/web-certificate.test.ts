import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { createLogger, type Logger } from '../../../src/log.js';
import { KEPT_CERT_FILE, KEPT_KEY_FILE } from '../../../src/web/tls/self-signed.js';
import { subjectNames } from '../../../src/web/tls/subject-names.js';
import { webCertificate, type WebTlsSettings } from '../../../src/web/tls/web-certificate.js';
import { selfSignedCert } from '../../helpers/self-signed.js';
import { tempDir } from '../../helpers/tmp.js';

function capturingLog(): { log: Logger; lines: () => { msg: string; level: number }[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination: stream });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { msg: string; level: number }),
  };
}

const selfSigned = (dir: string, serverNames: string[] = []): WebTlsSettings => ({
  certFile: null,
  keyFile: null,
  dir,
  serverNames,
});

describe('the web certificate', () => {
  it('loopback without a configured pair serves plain HTTP and makes nothing', async () => {
    const dir = tempDir();
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(await webCertificate(selfSigned(dir), host, capturingLog().log)).toBeNull();
    }
    expect(() => statSync(join(dir, KEPT_CERT_FILE))).toThrow();
  });

  it('off loopback makes a self-signed ECDSA P-256 pair, keeps it (key 0600), and reuses it on the next start', async () => {
    const dir = join(tempDir(), 'data');
    const first = capturingLog();
    const made = await webCertificate(selfSigned(dir, ['ups.example.lan']), '10.20.30.40', first.log);
    expect(made?.origin).toBe('made');
    expect(first.lines().some((l) => l.msg.includes(`no certificate kept in ${dir} yet`))).toBe(true);

    const certPem = readFileSync(join(dir, KEPT_CERT_FILE), 'utf8');
    expect(made?.cert).toBe(certPem);
    expect(statSync(join(dir, KEPT_KEY_FILE)).mode & 0o777).toBe(0o600);
    const x = new X509Certificate(certPem);
    expect(x.publicKey.asymmetricKeyType).toBe('ec');
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(x.checkIP('10.20.30.40')).toBe('10.20.30.40');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.subjectAltName).toContain('DNS:localhost');
    expect(x.subjectAltName).toContain('DNS:ups.example.lan');
    expect(made?.fingerprint).toBe(x.fingerprint256);

    const again = await webCertificate(selfSigned(dir, ['ups.example.lan']), '10.20.30.40', capturingLog().log);
    expect(again?.origin).toBe('kept');
    expect(again?.fingerprint).toBe(made?.fingerprint);
  });

  it('a corrupt kept key is replaced by a new pair, and the log says why', async () => {
    const dir = tempDir();
    const made = await webCertificate(selfSigned(dir), '0.0.0.0', capturingLog().log);
    writeFileSync(join(dir, KEPT_KEY_FILE), '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    const second = capturingLog();
    const remade = await webCertificate(selfSigned(dir), '0.0.0.0', second.log);
    expect(remade?.origin).toBe('made');
    expect(remade?.fingerprint).not.toBe(made?.fingerprint);
    const why = second.lines().find((l) => l.msg.startsWith('web: making a new self-signed certificate'));
    expect(why?.msg).toContain(`${join(dir, KEPT_KEY_FILE)} is not a PEM private key`);
    // The new pair was kept in its place: the third start reuses it.
    expect((await webCertificate(selfSigned(dir), '0.0.0.0', capturingLog().log))?.fingerprint).toBe(
      remade?.fingerprint,
    );
  });

  it('a kept pair whose key belongs to another certificate, or that has expired, is replaced', async () => {
    const dir = tempDir();
    const other = selfSignedCert(tempDir(), 'other');
    const made = await webCertificate(selfSigned(dir), '::', capturingLog().log);
    writeFileSync(join(dir, KEPT_KEY_FILE), readFileSync(other.key));
    const mismatch = capturingLog();
    const remade = await webCertificate(selfSigned(dir), '::', mismatch.log);
    expect(remade?.fingerprint).not.toBe(made?.fingerprint);
    expect(mismatch.lines().some((l) => l.msg.includes('does not belong to the certificate'))).toBe(true);

    const later = new Date(Date.now() + 900 * 86_400_000); // past the 825 days a made pair is valid
    const expired = capturingLog();
    const renewed = await webCertificate(selfSigned(dir), '::', expired.log, later);
    expect(renewed?.origin).toBe('made');
    expect(expired.lines().some((l) => l.msg.includes('it expired on'))).toBe(true);
    expect(renewed!.validTo.getTime()).toBeGreaterThan(later.getTime());
  });

  it('a kept pair that does not name the listen address is replaced by one that does', async () => {
    const dir = tempDir();
    await webCertificate(selfSigned(dir), '10.0.0.1', capturingLog().log);
    const moved = capturingLog();
    const c = await webCertificate(selfSigned(dir), '10.0.0.2', moved.log);
    expect(c?.origin).toBe('made');
    expect(new X509Certificate(c!.cert).checkIP('10.0.0.2')).toBe('10.0.0.2');
    expect(moved.lines().some((l) => l.msg.includes('it does not name 10.0.0.2'))).toBe(true);
  });

  it('a configured pair is served, on loopback too, and nothing is made', async () => {
    const dir = tempDir();
    const own = selfSignedCert(tempDir(), 'ups.home.arpa');
    const settings: WebTlsSettings = { certFile: own.cert, keyFile: own.key, dir, serverNames: [] };
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const c = await webCertificate(settings, host, capturingLog().log);
      expect(c?.origin).toBe('configured');
      expect(c?.fingerprint).toBe(new X509Certificate(readFileSync(own.cert)).fingerprint256);
    }
    expect(() => statSync(join(dir, KEPT_CERT_FILE))).toThrow();
  });

  it('a configured pair that cannot be read or parsed is a typed error naming the file', async () => {
    const dir = tempDir();
    const own = selfSignedCert(dir, 'own');
    const other = selfSignedCert(dir, 'other');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'this is not PEM\n');
    const cases: [string, string, RegExp][] = [
      [join(dir, 'missing.pem'), own.key, /web\.tls_cert_file: cannot read .*missing\.pem/],
      [garbage, own.key, /web\.tls_cert_file: .*garbage\.pem is not a PEM certificate/],
      [own.cert, garbage, /web\.tls_key_file: .*garbage\.pem is not a PEM private key/],
      [own.cert, other.key, /web\.tls_key_file: .*other\.key\.pem is not the key of the certificate/],
    ];
    for (const [certFile, keyFile, message] of cases) {
      const p = webCertificate({ certFile, keyFile, dir, serverNames: [] }, '0.0.0.0', capturingLog().log);
      await expect(p).rejects.toThrow(message);
      await expect(p).rejects.toMatchObject({ code: ErrorCode.WebCertificateInvalid });
      await expect(p).rejects.toBeInstanceOf(UpsguardError);
    }
  });

  it('names this machine, its .local name, localhost, the listen IP, 127.0.0.1 and web.server_names', () => {
    const names = subjectNames('192.168.7.9', ['ups.example.lan', '10.9.9.9', 'bad name'], 'nas.home');
    expect(names.dns).toEqual(['nas.home', 'nas.local', 'localhost', 'ups.example.lan']);
    expect(names.ips).toEqual(['192.168.7.9', '127.0.0.1', '10.9.9.9']);
    expect(subjectNames('0.0.0.0', [], 'box').ips).toEqual(['127.0.0.1']);
  });
});
