import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { certificateFingerprint } from './fingerprint.js';
import type { SubjectNames } from './subject-names.js';
import type { WebCertificate } from './web-certificate-types.js';

export const KEPT_CERT_FILE = 'web-cert.pem';
export const KEPT_KEY_FILE = 'web-key.pem';

const VALID_DAYS = 825; // the longest validity Apple's clients accept for a server certificate
const DAY_MS = 86_400_000;

export function keptPaths(dir: string): { certFile: string; keyFile: string } {
  return { certFile: join(dir, KEPT_CERT_FILE), keyFile: join(dir, KEPT_KEY_FILE) };
}

/** A kept pair that can be served again, or why it cannot (`none` on first start: nothing kept yet). */
export type KeptPair = { ok: true; cert: string; key: string; x: X509Certificate } | { ok: false; reason: string };

/** Reads the pair kept in `dir` and checks it: parses, key matches, not expired, names every wanted name. */
export function readKeptPair(dir: string, names: SubjectNames | null, now: Date): KeptPair {
  const { certFile, keyFile } = keptPaths(dir);
  const cert = readText(certFile);
  const key = readText(keyFile);
  if (cert === null && key === null) return { ok: false, reason: 'none' };
  if (typeof cert !== 'string') return { ok: false, reason: `${certFile}: ${cert?.error ?? 'missing'}` };
  if (typeof key !== 'string') return { ok: false, reason: `${keyFile}: ${key?.error ?? 'missing'}` };
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    return { ok: false, reason: `${certFile} is not a PEM certificate` };
  }
  let matches: boolean;
  try {
    matches = x.checkPrivateKey(createPrivateKey(key));
  } catch {
    return { ok: false, reason: `${keyFile} is not a PEM private key` };
  }
  if (!matches) return { ok: false, reason: `the key in ${keyFile} does not belong to the certificate in ${certFile}` };
  if (new Date(x.validTo).getTime() <= now.getTime()) return { ok: false, reason: `it expired on ${x.validTo}` };
  const missing = names ? missingName(x, names) : null;
  if (missing !== null) return { ok: false, reason: `it does not name ${missing}` };
  return { ok: true, cert, key, x };
}

/** Makes a self-signed ECDSA P-256 certificate for `names` (valid from a day ago, so a slow client clock accepts it). */
export async function makeSelfSigned(names: SubjectNames, now: Date): Promise<{ cert: string; key: string }> {
  const commonName = names.dns[0] ?? names.ips[0] ?? 'upsguard';
  // Loaded only when a certificate is made: the X.509 library and its ASN.1 stack are megabytes of heap that the
  // loopback demo, and every start that reuses its kept pair, never needs.
  const { generate } = await import('selfsigned');
  const made = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + VALID_DAYS * DAY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.dns.map((value) => ({ type: 2 as const, value })),
          ...names.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: made.cert, key: made.private };
}

/**
 * The kept self-signed pair in `dir`, reused across starts so the fingerprint the owner checked stays the same; made
 * (and kept) when there is none, or it cannot be used, the log saying why. A directory that cannot be written does
 * not stop the appliance: the new pair is served from memory, and the log says it will change on the next start.
 */
export async function keptOrMadeCertificate(
  dir: string,
  names: SubjectNames,
  log: Logger,
  now: Date,
): Promise<WebCertificate> {
  const { certFile, keyFile } = keptPaths(dir);
  const kept = readKeptPair(dir, names, now);
  if (kept.ok) return describe(kept.cert, kept.key, 'kept', certFile);
  if (kept.reason === 'none') log.info({ dir }, `web: no certificate kept in ${dir} yet: making a self-signed one`);
  else log.warn({ dir, reason: kept.reason }, `web: making a new self-signed certificate: ${kept.reason}`);
  const made = await makeSelfSigned(names, now);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(keyFile, made.key, 0o600);
    writeFileAtomic(certFile, made.cert, 0o644);
  } catch (err) {
    log.error(
      { dir, err: errorMessage(err) },
      `web: cannot keep the certificate in ${dir} (${errorMessage(err)}): serving it from memory; it changes on the next start (set web.tls_dir to a writable directory)`,
    );
    return describe(made.cert, made.key, 'made', null);
  }
  return describe(made.cert, made.key, 'made', certFile);
}

function describe(
  cert: string,
  key: string,
  origin: WebCertificate['origin'],
  certFile: string | null,
): WebCertificate {
  const x = new X509Certificate(cert);
  return { cert, key, origin, certFile, fingerprint: certificateFingerprint(x), validTo: new Date(x.validTo) };
}

function readText(path: string): string | { error: string } | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return { error: errorMessage(err) };
  }
}

function missingName(x: X509Certificate, names: SubjectNames): string | null {
  const dns = new Set(
    (x.subjectAltName ?? '')
      .split(', ')
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4).toLowerCase()),
  );
  for (const d of names.dns) if (!dns.has(d)) return d;
  for (const ip of names.ips) if (x.checkIP(ip) === undefined) return ip;
  return null;
}
