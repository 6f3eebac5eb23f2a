import { connect } from 'node:tls';

/**
 * The SHA-256 fingerprint of the certificate an HTTPS endpoint presents, read without trusting it: setup shows it so
 * the person can compare it with the one the host's console shows, and pins it (ESXi and pveproxy are self-signed).
 */
export function fetchCertFingerprint(url: string, timeoutMs: number): Promise<string> {
  const u = new URL(url);
  const port = u.port === '' ? 443 : Number(u.port);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(
      () => socket.destroy(new Error(`TLS to ${host}:${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      if (fp) resolve(fp);
      else reject(new Error(`${host}:${port} presented no certificate`));
    });
    socket.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
