// Debian's apcaccess without installing apcupsd, which conflicts with nut-client (both provide ups-monitor): the
// binary is unpacked from the package (the apt cache's copy, else `apt-get download`) into a cache directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const CACHE = join(import.meta.dirname, '../../node_modules/.cache/upsguard-peers/apcupsd');
const APT_CACHE = '/var/cache/apt/archives';

/** The path of a working apcaccess; throws naming what is missing, so a test that needs it fails, never skips. */
export function apcaccessBinary(): string {
  for (const p of ['/sbin/apcaccess', '/usr/sbin/apcaccess']) if (existsSync(p)) return p;
  const unpacked = join(CACHE, 'root/sbin/apcaccess');
  if (existsSync(unpacked)) return unpacked;
  mkdirSync(CACHE, { recursive: true });
  const find = (dir: string): string | undefined =>
    existsSync(dir) ? readdirSync(dir).find((f) => /^apcupsd_.*\.deb$/.test(f)) : undefined;
  let deb = find(APT_CACHE) ? join(APT_CACHE, find(APT_CACHE)!) : undefined;
  if (!deb) {
    execFileSync('apt-get', ['download', 'apcupsd'], { cwd: CACHE, stdio: 'ignore', timeout: 60_000 });
    const got = find(CACHE);
    if (!got) throw new Error('apt-get download apcupsd left no package');
    deb = join(CACHE, got);
  }
  execFileSync('dpkg-deb', ['-x', deb, join(CACHE, 'root')], { timeout: 30_000 });
  if (!existsSync(unpacked)) throw new Error(`no sbin/apcaccess in ${deb}`);
  return unpacked;
}
