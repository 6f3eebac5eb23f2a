import type { Logger } from '../../log.js';
import type { WebCertificate } from './web-certificate-types.js';

/** Says where the console is and the fingerprint the owner compares with the browser's, at every start. */
export function announceCertificate(log: Logger, url: string, certificate: WebCertificate, now: Date): void {
  const where = `${url}/`;
  log.info(
    { url: where, fingerprint: certificate.fingerprint, origin: certificate.origin, certFile: certificate.certFile },
    `web: ${where} certificate SHA-256 ${certificate.fingerprint}`,
  );
  if (certificate.origin === 'configured' && certificate.validTo.getTime() <= now.getTime()) {
    log.warn(
      { certFile: certificate.certFile, validTo: certificate.validTo.toISOString() },
      `web: the configured certificate ${certificate.certFile ?? ''} expired on ${certificate.validTo.toISOString()}: browsers will refuse it`,
    );
  }
}
