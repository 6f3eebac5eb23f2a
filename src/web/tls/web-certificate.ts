import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LoadedConfig } from '../../config/load.js';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { certificateFingerprint } from './fingerprint.js';
import { isLoopbackHost } from './loopback.js';
import { keptOrMadeCertificate } from './self-signed.js';
import { subjectNames } from './subject-names.js';
import type { WebCertificate } from './web-certificate-types.js';

export type { WebCertificate } from './web-certificate-types.js';
export { isLoopbackHost } from './loopback.js';

/** What decides the console's certificate, taken from the configuration once. */
export interface WebTlsSettings {
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** Where the self-signed pair is kept. */
  readonly dir: string;
  readonly serverNames: readonly string[];
}

/** The web section's TLS keys; paths were made absolute at load, tls_dir's default is the store's directory. */
export function webTlsSettings(loaded: LoadedConfig): WebTlsSettings {
  const web = loaded.config.web;
  const store = loaded.config.store.path;
  const dir =
    web.tls_dir ?? (store === ':memory:' ? resolve(loaded.baseDir, 'data') : dirname(resolve(loaded.baseDir, store)));
  // web.server_names belongs to the host check (another part); read here only when it is there.
  const names = (web as { server_names?: unknown }).server_names;
  return {
    certFile: web.tls_cert_file ?? null,
    keyFile: web.tls_key_file ?? null,
    dir,
    serverNames: Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [],
  };
}

/**
 * The certificate the console listens with on `host`, or null for plain HTTP. A configured pair is always served;
 * without one, loopback serves HTTP (the demo) and every other address HTTPS with the kept self-signed pair.
 */
export async function webCertificate(
  settings: WebTlsSettings,
  host: string,
  log: Logger,
  now: Date = new Date(),
): Promise<WebCertificate | null> {
  if (settings.certFile !== null && settings.keyFile !== null)
    return configuredCertificate(settings.certFile, settings.keyFile);
  if (isLoopbackHost(host)) return null;
  return keptOrMadeCertificate(settings.dir, subjectNames(host, settings.serverNames), log, now);
}

/** The owner's pair, read and checked now: a file that cannot be used stops the start with its name, not a trace. */
export function configuredCertificate(certFile: string, keyFile: string): WebCertificate {
  const cert = readPem(certFile, 'web.tls_cert_file');
  const key = readPem(keyFile, 'web.tls_key_file');
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch (err) {
    throw invalid(`web.tls_cert_file: ${certFile} is not a PEM certificate (${errorMessage(err)})`, certFile);
  }
  let matches: boolean;
  try {
    matches = x.checkPrivateKey(createPrivateKey(key));
  } catch {
    // The key's own parse error may quote its bytes; the message names only the file.
    throw invalid(`web.tls_key_file: ${keyFile} is not a PEM private key (or it is encrypted)`, keyFile);
  }
  if (!matches) throw invalid(`web.tls_key_file: ${keyFile} is not the key of the certificate in ${certFile}`, keyFile);
  return {
    cert,
    key,
    origin: 'configured',
    certFile,
    fingerprint: certificateFingerprint(x),
    validTo: new Date(x.validTo),
  };
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw invalid(`${key}: cannot read ${path}: ${errorMessage(err)}`, path);
  }
}

function invalid(message: string, file: string): UpsguardError {
  return new UpsguardError(ErrorCode.WebCertificateInvalid, message, { file });
}
