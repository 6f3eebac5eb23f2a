import {
  chmodSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

/** A scratch directory of this test's own. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-atomic-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('writeFileAtomic', () => {
  it('replaces an existing file keeping its mode, and leaves no temporary file', () => {
    const dir = scratch();
    const file = join(dir, 'a.yaml');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o640);
    writeFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['a.yaml']);
  });

  it('creates a new file with the mode given, whatever the umask allows', () => {
    const dir = scratch();
    const file = join(dir, 'key.pem');
    writeFileAtomic(file, 'secret\n', 0o600);
    expect(readFileSync(file, 'utf8')).toBe('secret\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileAtomic(file, 'public\n', 0o644);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir)).toEqual(['key.pem']);
  });

  it('writes where a symlink points and keeps the link', () => {
    const dir = scratch();
    const real = join(dir, 'real.yaml');
    const link = join(dir, 'link.yaml');
    writeFileSync(real, 'a: 1\n');
    symlinkSync(real, link);
    writeFileAtomic(link, 'a: 2\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(real, 'utf8')).toBe('a: 2\n');
    expect(readdirSync(dir).sort()).toEqual(['link.yaml', 'real.yaml']);
  });

  it('refuses a missing file when no mode is given, and leaves nothing behind', () => {
    const dir = scratch();
    expect(() => writeFileAtomic(join(dir, 'missing.yaml'), 'x\n')).toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
