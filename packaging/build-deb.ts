/**
 * `npm run package`: builds dist-pkg/upsguard_<version>_<arch>.deb with dpkg-deb.
 *
 *   tsx packaging/build-deb.ts [--out DIR] [--no-build] [--version V] [--compress xz|gzip|none]
 *
 * --no-build reuses dist/ as it is; --version overrides package.json's (an upgrade test builds a "newer" one).
 *
 * Node runtime: the package carries its own (this build machine's node, /usr/lib/upsguard/node/bin/node) instead of
 * depending on Debian's nodejs. Debian 12 ships Node 18, too old; Debian 13 and Proxmox VE 9 ship 20.19+, but
 * better-sqlite3 is compiled for one Node ABI, and a system node of another major (22 from elsewhere) would refuse
 * it. One runtime with the modules built for it works the same on Debian 12, Debian 13 and Proxmox VE 9.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { controlFile, installedSizeKb } from './deb-control.js';
import { packagedConfigText } from './packaged-config.js';
import { stageApp } from './stage-app.js';
import { SERVICE_GROUP, UDEV_RULE_FILE, knownUsbIds, udevRule } from './udev-rule.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface BuildOptions {
  readonly out: string;
  readonly build: boolean;
  readonly version: string;
  readonly compress: 'xz' | 'gzip' | 'none';
}

function parseArgs(argv: readonly string[]): BuildOptions {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };
  let out = join(repo, 'dist-pkg');
  let build = true;
  let version = pkg.version;
  let compress: BuildOptions['compress'] = 'xz';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a ?? ''} needs a value`);
      return v;
    };
    if (a === '--out') out = resolve(value());
    else if (a === '--no-build') build = false;
    else if (a === '--version') version = value();
    else if (a === '--compress') {
      const c = value();
      if (c !== 'xz' && c !== 'gzip' && c !== 'none') throw new Error(`--compress ${c}: expected xz, gzip or none`);
      compress = c;
    } else throw new Error(`unexpected argument ${a ?? ''}`);
  }
  if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) throw new Error(`--version ${version}: not a Debian version`);
  return { out, build, version, compress };
}

function put(root: string, path: string, text: string | Buffer, mode: number): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
}

/** /usr/bin/upsguard: exec (so systemd's main PID is node itself) the packaged runtime on the packaged app. */
const WRAPPER = `#!/bin/sh
exec /usr/lib/upsguard/node/bin/node --single-threaded --max-semi-space-size=1 --optimize-for-size --bytecode-old-age=2 --flush-baseline-code /usr/lib/upsguard/dist/main.js "$@"
`;

export function buildDeb(o: BuildOptions): string {
  if (o.build) execFileSync('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit', timeout: 600_000 });
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const stage = join(o.out, `stage-${o.version}`);
  rmSync(stage, { recursive: true, force: true });

  stageApp({ repo, target: join(stage, 'usr/lib/upsguard'), nodeBinary: process.execPath });
  put(stage, 'usr/bin/upsguard', WRAPPER, 0o755);
  for (const unit of ['upsguard.service', 'upsguard-relay.service']) {
    put(stage, `lib/systemd/system/${unit}`, readFileSync(join(repo, 'deploy', unit)), 0o644);
  }
  const rule = udevRule(knownUsbIds(), SERVICE_GROUP);
  if (readFileSync(join(repo, UDEV_RULE_FILE), 'utf8') !== rule) {
    throw new Error(`${UDEV_RULE_FILE} differs from the vendor quirks: run tsx packaging/udev-rule.ts --write`);
  }
  put(stage, 'lib/udev/rules.d/60-upsguard.rules', rule, 0o644);
  put(stage, 'etc/upsguard/upsguard.yaml', packagedConfigText(), 0o600);
  mkdirSync(join(stage, 'etc/upsguard'), { recursive: true });
  chmodSync(join(stage, 'etc/upsguard'), 0o750);

  const doc = 'usr/share/doc/upsguard';
  put(stage, `${doc}/README.md`, readFileSync(join(repo, 'README.md')), 0o644);
  put(stage, `${doc}/examples/relay.yaml`, readFileSync(join(repo, 'deploy/relay.yaml')), 0o644);
  put(stage, `${doc}/copyright`, copyright(), 0o644);
  put(stage, `${doc}/changelog.Debian.gz`, gzipSync(changelog(o.version), { level: 9 }), 0o644);

  const control = join(stage, 'DEBIAN');
  mkdirSync(control, { recursive: true });
  put(
    stage,
    'DEBIAN/control',
    controlFile({ version: o.version, arch, installedSizeKb: installedSizeKb(stage) }),
    0o644,
  );
  put(stage, 'DEBIAN/conffiles', '/etc/upsguard/upsguard.yaml\n', 0o644);
  for (const script of ['postinst', 'prerm', 'postrm']) {
    cpSync(join(repo, 'packaging/debian', script), join(control, script));
    chmodSync(join(control, script), 0o755);
  }

  mkdirSync(o.out, { recursive: true });
  const deb = join(o.out, `upsguard_${o.version}_${arch}.deb`);
  const level = o.compress === 'xz' ? ['-Zxz', '-z6'] : o.compress === 'gzip' ? ['-Zgzip', '-z1'] : ['-Znone'];
  execFileSync('dpkg-deb', ['--root-owner-group', ...level, '--build', stage, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 600_000,
  });
  rmSync(stage, { recursive: true, force: true });
  return deb;
}

function copyright(): string {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { license?: string };
  const spdx = pkg.license ?? 'MIT';
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: upsguard',
    '',
    'Files: *',
    `License: ${spdx}`,
    '',
    'Files: usr/lib/upsguard/node/*',
    'Comment: the Node.js runtime the native modules are built for; its licence: https://github.com/nodejs/node/blob/main/LICENSE',
    'License: MIT',
    '',
    'Files: usr/lib/upsguard/node_modules/*',
    "Comment: each package's licence is in its own directory",
    '',
  ].join('\n');
}

function changelog(version: string): string {
  const date = new Date().toUTCString().replace('GMT', '+0000');
  return `upsguard (${version}) unstable; urgency=medium\n\n  * Built from the upsguard sources.\n\n -- upsguard maintainers <upsguard@users.noreply.github.com>  ${date}\n`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(buildDeb(parseArgs(process.argv.slice(2))));
  } catch (e) {
    console.error(`build-deb: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
