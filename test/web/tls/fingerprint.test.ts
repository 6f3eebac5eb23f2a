import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certificateFingerprint, colonHex } from '../../../src/web/tls/fingerprint.js';
import { selfSignedCert } from '../../helpers/self-signed.js';
import { tempDir } from '../../helpers/tmp.js';

describe('certificate fingerprint', () => {
  it('is the SHA-256 of the DER as openssl and browsers show it', () => {
    const { cert } = selfSignedCert(tempDir(), 'fp-test');
    const pem = readFileSync(cert, 'utf8');
    const openssl = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    const expected = /=([0-9A-F:]+)/.exec(openssl)?.[1];
    expect(expected).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(certificateFingerprint(pem)).toBe(expected);
    expect(certificateFingerprint(new X509Certificate(pem))).toBe(new X509Certificate(pem).fingerprint256);
  });

  it('pads and upper-cases every byte', () => {
    expect(colonHex(Uint8Array.from([0, 10, 171, 255]))).toBe('00:0A:AB:FF');
  });
});
