import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import {
  PasswordHashError,
  SCRYPT_DEFAULTS,
  hashPassword,
  normalizedPassword,
  parsePasswordHash,
  passwordHashProblem,
  verifyPassword,
} from '../../../src/web/auth/password-hash.js';

const SALT = Buffer.alloc(16, 7).toString('base64');
const KEY = Buffer.alloc(32, 9).toString('base64');
const valid = `scrypt$15$8$1$${SALT}$${KEY}`;

describe('password hashes (scrypt)', () => {
  test('one password however it was typed: NFC for non-ASCII, ASCII as is', async () => {
    const composed = 'caf\u00e9';
    const decomposed = 'cafe\u0301';
    expect(normalizedPassword(decomposed)).toBe(composed);
    expect(await verifyPassword(await hashPassword(composed), decomposed)).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(normalizedPassword(s)).toBe(s.normalize('NFC'));
      }),
    );
  });

  test('a hash verifies its password and no other; each hash has its own salt', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const p = parsePasswordHash(hash);
    expect([p.log2N, p.r, p.p, p.salt.length, p.key.length]).toEqual([
      SCRYPT_DEFAULTS.log2N,
      SCRYPT_DEFAULTS.r,
      SCRYPT_DEFAULTS.p,
      16,
      32,
    ]);
    expect(hash).not.toContain('correct horse');
    await expect(verifyPassword(hash, 'correct horse')).resolves.toBe(true);
    await expect(verifyPassword(hash, 'correct horse ')).resolves.toBe(false);
    await expect(verifyPassword(hash, '')).resolves.toBe(false);
    const again = await hashPassword('correct horse');
    expect(again).not.toBe(hash);
    await expect(verifyPassword(again, 'correct horse')).resolves.toBe(true);
  });

  test('a hash made with other parameters is verified with its own (they travel with it)', async () => {
    const h = await hashPassword('pw');
    const p = parsePasswordHash(h);
    // The same password under log2N=10 is a different key: the parameters in the text are the ones used.
    const cheap = `scrypt$10$8$1$${p.salt.toString('base64')}$${p.key.toString('base64')}`;
    await expect(verifyPassword(cheap, 'pw')).resolves.toBe(false);
  });

  test.each([
    ['', 'expected 6 fields separated by $ (scrypt$log2N$r$p$salt$key), found 1'],
    ['hunter2', 'expected 6 fields separated by $ (scrypt$log2N$r$p$salt$key), found 1'],
    [`argon2$15$8$1$${SALT}$${KEY}`, 'the scheme must be scrypt'],
    [`scrypt$x$8$1$${SALT}$${KEY}`, 'log2N is not a whole number'],
    [`scrypt$015$8$1$${SALT}$${KEY}`, 'log2N is not a whole number'],
    [`scrypt$40$8$1$${SALT}$${KEY}`, 'log2N must be 10 to 20, not 40'],
    [`scrypt$15$0$1$${SALT}$${KEY}`, 'r is not a whole number'],
    [`scrypt$15$8$17$${SALT}$${KEY}`, 'p must be 1 to 16, not 17'],
    [`scrypt$20$32$1$${SALT}$${KEY}`, 'log2N and r ask for more than 256 MiB'],
    [`scrypt$15$8$1$not*base64$${KEY}`, 'the salt is not base64'],
    [`scrypt$15$8$1$${SALT}$QUJD`, 'the key must be 16 to 64 bytes, not 3'],
    [`scrypt$15$8$1$QUJD$${KEY}`, 'the salt must be 8 to 64 bytes, not 3'],
    [`scrypt$15$8$1$${SALT}$${KEY.slice(0, -2)}B=`, 'the key is not canonical base64'],
  ])('%j is refused, the message naming the problem', (text, problem) => {
    let caught: unknown;
    try {
      parsePasswordHash(text);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PasswordHashError);
    expect((caught as PasswordHashError).code).toBe(ErrorCode.PasswordHashInvalid);
    expect((caught as PasswordHashError).message).toBe(`password hash: ${problem}`);
    expect(passwordHashProblem(text)).toBe(`password hash: ${problem}`);
  });

  test('the message never repeats the hash or a password pasted in its place', () => {
    for (const text of ['hunter2', `scrypt$15$8$1$c2VjcmV0c2VjcmV0$QUJD`, `scrypt$15$8$1$hunter2!$${KEY}`]) {
      const problem = passwordHashProblem(text) ?? '';
      expect(problem).not.toBe('');
      expect(problem).not.toContain('hunter2');
      expect(problem).not.toContain('c2VjcmV0c2VjcmV0');
    }
  });

  test('verifying against a malformed hash is the typed error, not a crash', async () => {
    await expect(verifyPassword('scrypt$15$8$1$x$y', 'pw')).rejects.toBeInstanceOf(PasswordHashError);
  });

  test('fuzz: any text parses to parameters or fails with PasswordHashError, nothing else', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer({ min: -5, max: 100 }).map(String),
      fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64')),
    );
    const shaped = fc.array(field, { minLength: 0, maxLength: 8 }).map((f) => ['scrypt', ...f].join('$'));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), shaped), (text) => {
        try {
          const p = parsePasswordHash(text);
          expect(p.salt.length).toBeGreaterThanOrEqual(8);
          expect(128 * 2 ** p.log2N * p.r).toBeLessThanOrEqual(256 * 1024 * 1024);
        } catch (e) {
          expect(e).toBeInstanceOf(PasswordHashError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('fuzz: a valid hash with one character changed parses or fails typed', () => {
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.string({ unit: 'binary', minLength: 0, maxLength: 2 }), (at, ch) => {
        const text = valid.slice(0, at) + ch + valid.slice(at + 1);
        try {
          parsePasswordHash(text);
        } catch (e) {
          expect(e).toBeInstanceOf(PasswordHashError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
