import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ErrorCode, UpsguardError } from '../../errors.js';

/**
 * Passwords are kept only as scrypt hashes (memory-hard: each guess costs 32 MiB as well as time), written
 * `scrypt$<log2N>$<r>$<p>$<salt base64>$<key base64>`. The parameters travel with the hash so they can be raised
 * later without breaking the hashes already in config files.
 */
export const SCRYPT_DEFAULTS = { log2N: 15, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;

export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

/** A hash that cannot be used: the message names what is wrong with it, never any part of the hash itself. */
export class PasswordHashError extends UpsguardError {
  constructor(problem: string) {
    super(ErrorCode.PasswordHashInvalid, `password hash: ${problem}`);
  }
}

// Bounds on what a hash in a config file may ask for: verifying must not be a way to take the appliance's memory or
// CPU (a hash with N=2^30 would need 128 GiB).
const LOG2N = { min: 10, max: 20 };
const R = { min: 1, max: 32 };
const P = { min: 1, max: 16 };
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const SALT_BYTES = { min: 8, max: 64 };
const KEY_BYTES = { min: 16, max: 64 };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function base64Field(text: string, what: string, bounds: { min: number; max: number }): Buffer {
  if (!BASE64.test(text)) throw new PasswordHashError(`the ${what} is not base64`);
  const bytes = Buffer.from(text, 'base64');
  // Buffer.from is lenient (stray bits, missing padding); only the canonical spelling is accepted.
  if (bytes.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new PasswordHashError(`the ${what} is not canonical base64`);
  }
  if (bytes.length < bounds.min || bytes.length > bounds.max) {
    throw new PasswordHashError(`the ${what} must be ${bounds.min} to ${bounds.max} bytes, not ${bytes.length}`);
  }
  return bytes;
}

function intField(text: string, what: string, bounds: { min: number; max: number }): number {
  if (!/^[1-9][0-9]{0,2}$/.test(text)) throw new PasswordHashError(`${what} is not a whole number`);
  const n = Number(text);
  if (n < bounds.min || n > bounds.max) {
    throw new PasswordHashError(`${what} must be ${bounds.min} to ${bounds.max}, not ${n}`);
  }
  return n;
}

/** Reads a hash; throws PasswordHashError naming the first problem. */
export function parsePasswordHash(text: string): ScryptParams {
  if (typeof text !== 'string') throw new PasswordHashError('expected text');
  const fields = text.split('$');
  if (fields.length !== 6) {
    throw new PasswordHashError(
      `expected 6 fields separated by $ (scrypt$log2N$r$p$salt$key), found ${Math.min(fields.length, 99)}`,
    );
  }
  const [scheme, n, r, p, salt, key] = fields as [string, string, string, string, string, string];
  if (scheme !== 'scrypt') throw new PasswordHashError('the scheme must be scrypt');
  const params = {
    log2N: intField(n, 'log2N', LOG2N),
    r: intField(r, 'r', R),
    p: intField(p, 'p', P),
  };
  if (memoryOf(params) > MAX_MEMORY_BYTES) {
    throw new PasswordHashError(`log2N and r ask for more than ${MAX_MEMORY_BYTES / 1024 / 1024} MiB`);
  }
  return { ...params, salt: base64Field(salt, 'salt', SALT_BYTES), key: base64Field(key, 'key', KEY_BYTES) };
}

/** The problem with a hash in words, or null when it is usable (for the config schema's refine). */
export function passwordHashProblem(text: string): string | null {
  try {
    parsePasswordHash(text);
    return null;
  } catch (e) {
    if (e instanceof PasswordHashError) return e.message;
    throw e;
  }
}

export function formatPasswordHash(p: ScryptParams): string {
  return ['scrypt', p.log2N, p.r, p.p, p.salt.toString('base64'), p.key.toString('base64')].join('$');
}

function memoryOf(p: { log2N: number; r: number }): number {
  return 128 * 2 ** p.log2N * p.r;
}

// scrypt runs on libuv's small thread pool, which file I/O and DNS share: at most this many at once, the rest wait
// their turn, so a burst of logins (web or NUT) slows logins and nothing else.
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: (() => void)[] = [];

/**
 * NFC, so the same password typed on two keyboards is one password. ASCII is already in NFC: skipping the call for it
 * keeps ICU's normalization tables (about 2 MB of resident memory) out of a process whose passwords are plain.
 */
const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

export function normalizedPassword(password: string): string {
  return isAscii(password) ? password : password.normalize('NFC');
}

async function derive(password: string, salt: Buffer, keyBytes: number, p: Omit<ScryptParams, 'salt' | 'key'>) {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    const options: ScryptOptions = { N: 2 ** p.log2N, r: p.r, p: p.p, maxmem: 2 * memoryOf(p) };
    return await new Promise<Buffer>((resolve, reject) => {
      scrypt(normalizedPassword(password), salt, keyBytes, options, (err, key) => {
        if (err) reject(err);
        else resolve(key);
      });
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** A new hash of the password with the default parameters and a fresh salt. */
export async function hashPassword(password: string): Promise<string> {
  const { log2N, r, p, saltBytes, keyBytes } = SCRYPT_DEFAULTS;
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, keyBytes, { log2N, r, p });
  return formatPasswordHash({ log2N, r, p, salt, key });
}

/** Whether the password matches the hash; throws PasswordHashError for a hash that cannot be read. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  const params = parsePasswordHash(hash);
  const key = await derive(password, params.salt, params.key.length, params);
  return timingSafeEqual(key, params.key);
}

/**
 * A well-formed hash of no password at all (its key is random bytes), to check an unknown user's password against:
 * the answer takes as long as for a real user, so timing does not tell which names exist.
 */
export function decoyPasswordHash(): string {
  const { log2N, r, p, saltBytes, keyBytes } = SCRYPT_DEFAULTS;
  return formatPasswordHash({ log2N, r, p, salt: randomBytes(saltBytes), key: randomBytes(keyBytes) });
}
