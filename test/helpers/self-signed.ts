import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A throwaway P-256 certificate and key made by the openssl CLI, for servers the tests run with TLS. */
export function selfSignedCert(dir: string, cn: string, extra: readonly string[] = []): { cert: string; key: string } {
  const cert = join(dir, `${cn}.cert.pem`);
  const key = join(dir, `${cn}.key.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'].concat([
      '-subj',
      `/CN=${cn}`,
      ...extra,
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  return { cert, key };
}
