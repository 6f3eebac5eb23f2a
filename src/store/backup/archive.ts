import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';

/**
 * A backup is one gzip-compressed JSON document: what made it (upsguard and store schema versions), the config file's
 * text, and the store file (a consistent copy) in base64, each with its SHA-256. JSON rather than tar: one parser we
 * already trust (with a schema), no archive member paths to sanitise on restore, and `zcat FILE | jq` shows it.
 */
export const BACKUP_FORMAT = 'upsguard-backup';
export const BACKUP_FORMAT_VERSION = 1;
/** What a restore inflates at most: a home lab's store is megabytes; this refuses a gzip bomb, not a real store. */
export const BACKUP_MAX_BYTES = 2 * 1024 ** 3 - 1;

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

export interface BackupContents {
  readonly createdAt: string;
  readonly upsguardVersion: string;
  readonly schemaVersion: number;
  /** The config file as it was, or null (the demo runs on its built-in config). */
  readonly config: { readonly path: string; readonly text: string } | null;
  /** The store: where it was, and its bytes (a SQLite database). */
  readonly store: { readonly path: string; readonly data: Buffer };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in hex');
const envelopeSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  format_version: z.number().int().min(1),
  created_at: z.string().min(1).max(64),
  upsguard_version: z.string().regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, 'a version such as 1.2.3'),
  schema_version: z.number().int().min(0),
  config: z.strictObject({ path: z.string().min(1).max(4096), text: z.string(), sha256: hex64 }).nullable(),
  store: z.strictObject({
    path: z.string().min(1).max(4096),
    bytes: z.number().int().min(0),
    sha256: hex64,
    base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64'),
  }),
});

/** The archive's bytes for these contents. */
export function encodeBackup(c: BackupContents): Buffer {
  const envelope: z.input<typeof envelopeSchema> = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    created_at: c.createdAt,
    upsguard_version: c.upsguardVersion,
    schema_version: c.schemaVersion,
    config: c.config ? { path: c.config.path, text: c.config.text, sha256: sha256(c.config.text) } : null,
    store: {
      path: c.store.path,
      bytes: c.store.data.length,
      sha256: sha256(c.store.data),
      base64: c.store.data.toString('base64'),
    },
  };
  return gzipSync(JSON.stringify(envelope));
}

function invalid(source: string, reason: string): UpsguardError {
  return new UpsguardError(ErrorCode.BackupInvalid, `${source}: not a usable upsguard backup: ${reason}`, {
    file: source,
  });
}

/**
 * An archive back into its contents, every part checked (format, fields, sizes, checksums); anything else is a
 * BACKUP_INVALID error naming what was wrong. `source` names the file in the messages.
 */
export function decodeBackup(bytes: Uint8Array, source: string): BackupContents {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw invalid(source, 'it is not gzip-compressed');
  let text: string;
  try {
    text = gunzipSync(bytes, { maxOutputLength: BACKUP_MAX_BYTES }).toString('utf8');
  } catch (err) {
    throw invalid(source, `it does not decompress (${errorMessage(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw invalid(source, 'its contents are not JSON');
  }
  if (typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format !== BACKUP_FORMAT) {
    throw invalid(source, `its format is not ${BACKUP_FORMAT}`);
  }
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`);
    throw invalid(source, first.join('; '));
  }
  const e = parsed.data;
  if (e.format_version > BACKUP_FORMAT_VERSION) {
    throw new UpsguardError(
      ErrorCode.BackupTooNew,
      `${source}: the backup format is version ${e.format_version}, this upsguard reads up to ${BACKUP_FORMAT_VERSION}; upgrade upsguard`,
      { file: source },
    );
  }
  const data = Buffer.from(e.store.base64, 'base64');
  if (data.length !== e.store.bytes) {
    throw invalid(source, `the store is ${data.length} bytes, the backup says ${e.store.bytes}`);
  }
  if (sha256(data) !== e.store.sha256) throw invalid(source, 'the store does not match its checksum');
  if (e.config && sha256(e.config.text) !== e.config.sha256) {
    throw invalid(source, 'the config does not match its checksum');
  }
  return {
    createdAt: e.created_at,
    upsguardVersion: e.upsguard_version,
    schemaVersion: e.schema_version,
    config: e.config ? { path: e.config.path, text: e.config.text } : null,
    store: { path: e.store.path, data },
  };
}

/** -1, 0 or 1 as version `a` is older than, the same as or newer than `b` (major.minor.patch; a pre-release sorts first). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): { nums: number[]; pre: boolean } => {
    const [core = '', pre] = v.split(/[-+]/, 2);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre: pre !== undefined && v.includes('-') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (x.pre !== y.pre) return x.pre ? -1 : 1;
  return 0;
}
