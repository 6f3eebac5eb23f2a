/**
 * The app as the package installs it under /usr/lib/upsguard: dist/, package.json, the production dependencies,
 * and the Node runtime that the native modules were built for.
 *
 * The dependencies are this checkout's node_modules, production ones only (as `npm ls --omit=dev` lists them):
 * their native modules (better-sqlite3 compiled here, node-hid and usb from their N-API prebuilds) are already built
 * for this machine's architecture and this Node, and copying them needs no registry (the build runs offline).
 * What only a build needs (C sources, object files, other platforms' prebuilds) is left out.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface StageAppOptions {
  readonly repo: string;
  /** The staged /usr/lib/upsguard. */
  readonly target: string;
  /** The Node binary to ship (this process's, by default). */
  readonly nodeBinary: string;
}

/** Paths inside a package that only building it needs. */
const BUILD_ONLY: Readonly<Record<string, readonly string[]>> = {
  'better-sqlite3': [
    'deps',
    'src',
    'build/Release/obj',
    'build/Release/obj.target',
    'build/Release/.deps',
    'build/Release/sqlite3.a',
    'build/Release/test_extension.node',
    'build/deps',
    'build/Makefile',
  ],
  'node-hid': ['src', 'hidapi'],
  usb: ['src', 'libusb', 'libusb_config'],
};

/** Prebuilds kept: Linux on this architecture with glibc (Debian), nothing else. */
function keepPrebuild(name: string, arch: string): boolean {
  return name.includes(`linux-${arch}`) && !name.includes('musl');
}

export function productionPackages(repo: string): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const root = join(repo, 'node_modules') + sep;
  return out
    .split('\n')
    .filter((p) => p.startsWith(root))
    .map((p) => relative(repo, p));
}

function prune(packageDir: string, name: string, arch: string): void {
  for (const p of [...(BUILD_ONLY[name] ?? []), 'test', 'tests', '.github']) {
    rmSync(join(packageDir, p), { recursive: true, force: true });
  }
  const prebuilds = join(packageDir, 'prebuilds');
  if (existsSync(prebuilds)) {
    for (const d of readdirSync(prebuilds)) {
      if (!keepPrebuild(d, arch)) rmSync(join(prebuilds, d), { recursive: true, force: true });
    }
  }
  // usb ships one glibc and one musl build side by side.
  for (const d of existsSync(prebuilds) ? readdirSync(prebuilds) : []) {
    for (const f of readdirSync(join(prebuilds, d))) {
      if (f.includes('musl')) rmSync(join(prebuilds, d, f), { force: true });
    }
  }
}

export function stageApp(o: StageAppOptions): void {
  const arch = process.arch;
  mkdirSync(o.target, { recursive: true });
  // Source maps are for a debugger at the build machine; node on the appliance runs without them.
  cpSync(join(o.repo, 'dist'), join(o.target, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  cpSync(join(o.repo, 'package.json'), join(o.target, 'package.json'));
  for (const rel of productionPackages(o.repo)) {
    const from = join(o.repo, rel);
    const to = join(o.target, rel);
    // A nested package is copied with its parent; copying it again is harmless but slow.
    if (existsSync(to)) continue;
    cpSync(from, to, { recursive: true, dereference: true, filter: (src) => !src.endsWith('.map') });
    const name = rel
      .split(sep)
      .slice(1)
      .join('/')
      .replace(/^.*node_modules\//, '');
    prune(to, name, arch);
  }
  const node = join(o.target, 'node', 'bin', 'node');
  mkdirSync(join(o.target, 'node', 'bin'), { recursive: true });
  cpSync(o.nodeBinary, node);
  chmodSync(node, 0o755);
  if (!statSync(join(o.target, 'dist', 'main.js')).isFile()) throw new Error('dist/main.js missing: run npm run build');
}
