import { createHash, X509Certificate } from 'node:crypto';

/**
 * The SHA-256 of a certificate's DER bytes as browsers and `openssl x509 -fingerprint -sha256` show it:
 * upper-case hex pairs joined by colons. The owner compares this with what the browser shows before trusting it.
 */
export function certificateFingerprint(cert: X509Certificate | string | Buffer): string {
  const x = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return colonHex(createHash('sha256').update(x.raw).digest());
}

export function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
