import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { readKeptPair, keptOrMadeCertificate, keptPaths } from '../web/tls/self-signed.js';
import { subjectNames } from '../web/tls/subject-names.js';
import { certificateFingerprint } from '../web/tls/fingerprint.js';
import { configuredCertificate, isLoopbackHost, webTlsSettings } from '../web/tls/web-certificate.js';
import { parseOptions } from './args.js';

const USAGE = 'usage: upsguard web fingerprint [--config FILE] [--make]';

/**
 * `upsguard web fingerprint [--config FILE] [--make]`: the SHA-256 fingerprint of the certificate the console serves,
 * read from the same file `serve` uses (the configured one, or the self-signed pair kept in web.tls_dir), so the
 * owner can compare it with what the browser shows. Exit 1 when there is none yet; --make makes it as serve would.
 */
export async function runWeb(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'fingerprint') {
    err(USAGE);
    return 2;
  }
  const { options, positional } = parseOptions(rest, { values: ['config'], flags: ['make'] });
  if (positional.length > 0) {
    err(`unexpected argument ${positional[0] ?? ''}\n${USAGE}`);
    return 2;
  }
  const loaded = loadConfig(typeof options.config === 'string' ? options.config : undefined);
  const settings = webTlsSettings(loaded);
  const host = loaded.config.web.host;

  if (settings.certFile !== null && settings.keyFile !== null) {
    const c = configuredCertificate(settings.certFile, settings.keyFile);
    out(`web certificate ${settings.certFile} (configured, valid until ${c.validTo.toISOString()})`);
    out(`SHA-256 ${c.fingerprint}`);
    return 0;
  }

  const now = new Date();
  const { certFile } = keptPaths(settings.dir);
  // Off loopback the server checks the kept pair names every address it is opened under; the CLI judges it the same.
  const names = isLoopbackHost(host) ? null : subjectNames(host, settings.serverNames);
  const kept = readKeptPair(settings.dir, names, now);
  if (!kept.ok && options.make === true) {
    if (kept.reason !== 'none') err(`upsguard: replacing the kept certificate: ${kept.reason}`);
    const made = await keptOrMadeCertificate(
      settings.dir,
      names ?? subjectNames(host, settings.serverNames),
      createLogger({ level: 'silent' }),
      now,
    );
    if (made.certFile === null) {
      err(`upsguard: cannot write the certificate into ${settings.dir}`);
      return 1;
    }
    out(`web certificate ${made.certFile} (self-signed, made now, valid until ${made.validTo.toISOString()})`);
    out(`SHA-256 ${made.fingerprint}`);
    return 0;
  }
  if (!kept.ok) {
    err(
      kept.reason === 'none'
        ? `upsguard: no web certificate yet: ${certFile} does not exist (serve makes it on its first start off loopback; --make makes it now)`
        : `upsguard: the kept certificate cannot be served: ${kept.reason} (serve makes a new one at its next start; --make makes it now)`,
    );
    return 1;
  }
  out(`web certificate ${certFile} (self-signed, valid until ${new Date(kept.x.validTo).toISOString()})`);
  out(`SHA-256 ${certificateFingerprint(kept.x)}`);
  if (names === null) out(`note: web.host ${host} is loopback: serve uses plain HTTP there, not this certificate`);
  return 0;
}
