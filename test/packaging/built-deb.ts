/**
 * The .deb the packaging tests look at: built once (uncompressed, fast) into dist-pkg/test/, and reused while it is
 * newer than everything that goes into it. dist/ is rebuilt first when a source file is newer than it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repo = resolve(import.meta.dirname, '../..');
export const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** UPSGUARD_TEST_DEB=FILE tests a .deb built elsewhere (CI's `npm run package`) instead. */
export function builtDeb(): string {
  const given = process.env.UPSGUARD_TEST_DEB;
  if (given !== undefined && given !== '') return resolve(given);
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const out = join(repo, 'dist-pkg', 'test');
  const deb = join(out, `upsguard_${version}_${arch}.deb`);
  const distBuilt = newestMtime(join(repo, 'dist', 'main.js'));
  const distFresh = distBuilt > newestMtime(join(repo, 'src'));
  const inputs = Math.max(
    distFresh ? distBuilt : Number.POSITIVE_INFINITY,
    ...['packaging', 'deploy', 'package.json', 'README.md'].map((p) => newestMtime(join(repo, p))),
  );
  if (existsSync(deb) && statSync(deb).mtimeMs > inputs) return deb;
  execFileSync(
    'npx',
    ['tsx', 'packaging/build-deb.ts', '--compress', 'none', '--out', out, ...(distFresh ? ['--no-build'] : [])],
    { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 },
  );
  return deb;
}
