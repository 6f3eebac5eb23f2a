import { pino, type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from './util/redact.js';

export type { Logger } from 'pino';

/**
 * Key names whose values are secrets wherever they appear. pino's redaction works on paths, so the common
 * nestings are listed; config objects are never logged whole, this is the second line of defence.
 */
const SECRET_KEYS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'psk',
  'key',
  'privateKey',
  'private_key',
  'apiToken',
  'api_token',
  'authorization',
  'cookie',
];
const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*[*].${k}`, `*.*[*].${k}`]);

export interface LogOptions {
  level?: string;
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const opts = {
    level: options.level ?? 'info',
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { app: 'upsguard' },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** Removes secret values from a free-text message (an error from a library may echo a URL or a header). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return redactSecrets(text, secrets);
}
