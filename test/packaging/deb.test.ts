import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPENDS } from '../../packaging/deb-control.js';
import { builtDeb, repo, version } from './built-deb.js';

let deb = '';
beforeAll(() => {
  deb = builtDeb();
}, 600_000);

interface Entry {
  readonly mode: string;
  readonly owner: string;
  readonly path: string;
}

function contents(): Map<string, Entry> {
  const text = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const map = new Map<string, Entry>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+\d+\s+\S+\s+\S+\s+\.(\/\S*)/.exec(line);
    if (m) map.set(m[3]!.replace(/\/$/, '') || '/', { mode: m[1]!, owner: m[2]!, path: m[3]! });
  }
  return map;
}

describe('the .deb', () => {
  it('holds the app, its runtime, production modules built for this machine, units, udev rule, config and docs', () => {
    const files = contents();
    const expectMode = (path: string, mode: string): void => {
      expect(files.get(path)?.mode, path).toBe(mode);
    };
    expectMode('/usr/bin/upsguard', '-rwxr-xr-x');
    expectMode('/usr/lib/upsguard/node/bin/node', '-rwxr-xr-x');
    expectMode('/usr/lib/upsguard/dist/main.js', '-rwxr-xr-x');
    expectMode('/usr/lib/upsguard/dist/web/assets/index.html', '-rw-r--r--');
    expectMode('/usr/lib/upsguard/package.json', '-rw-r--r--');
    // Native modules for this machine (dlopen needs them readable, not executable).
    for (const native of [
      '/usr/lib/upsguard/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      '/usr/lib/upsguard/node_modules/node-hid/prebuilds/HID_hidraw-linux-x64/node-napi-v4.node',
      '/usr/lib/upsguard/node_modules/usb/prebuilds/linux-x64/node.napi.glibc.node',
    ]) {
      expect(files.get(native)?.mode, native).toMatch(/^-rw.r..r../);
    }
    expectMode('/lib/systemd/system/upsguard.service', '-rw-r--r--');
    expectMode('/lib/systemd/system/upsguard-relay.service', '-rw-r--r--');
    expectMode('/lib/udev/rules.d/60-upsguard.rules', '-rw-r--r--');
    expectMode('/etc/upsguard', 'drwxr-x---');
    expectMode('/etc/upsguard/upsguard.yaml', '-rw-------');
    expectMode('/usr/share/doc/upsguard/README.md', '-rw-r--r--');
    expectMode('/usr/share/doc/upsguard/copyright', '-rw-r--r--');
    expectMode('/usr/share/doc/upsguard/examples/relay.yaml', '-rw-r--r--');

    const paths = [...files.keys()];
    // Owned by root in the archive; postinst gives /etc/upsguard to the service user.
    expect([...files.values()].filter((e) => e.owner !== 'root/root')).toEqual([]);
    // No dev dependency, no build leftovers, no other platform's binary.
    for (const dev of ['vitest', 'typescript', 'eslint', 'esbuild', 'playwright-core', 'fast-check', 'tsx']) {
      expect(
        paths.filter((p) => p.startsWith(`/usr/lib/upsguard/node_modules/${dev}/`)),
        dev,
      ).toEqual([]);
    }
    expect(paths.filter((p) => /darwin|win32|musl|android|linux-arm/.test(p) && p.endsWith('.node'))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.map') || p.endsWith('.o') || p.endsWith('.a'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('/usr/lib/upsguard/node_modules/better-sqlite3/deps'))).toEqual([]);
    // Every production dependency is there.
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(files.has(`/usr/lib/upsguard/node_modules/${dep}/package.json`), dep).toBe(true);
    }
    // The installed rule is the checked-in one (itself checked against the quirks in udev-rule.test.ts).
    const rule = execFileSync(
      'sh',
      ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO ./lib/udev/rules.d/60-upsguard.rules', 'sh', deb],
      {
        encoding: 'utf8',
      },
    );
    expect(rule).toBe(readFileSync(join(repo, 'deploy/60-upsguard.rules'), 'utf8'));
  });

  it('says what it is, what it needs, and that the config is a conffile', () => {
    const field = (name: string): string => execFileSync('dpkg-deb', ['-f', deb, name], { encoding: 'utf8' }).trim();
    expect(field('Package')).toBe('upsguard');
    expect(field('Version')).toBe(version);
    expect(field('Architecture')).toBe(execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim());
    expect(field('Depends').split(', ')).toEqual([...DEPENDS]);
    // The runtime is inside: no dependency on Debian's nodejs (18 on Debian 12).
    expect(field('Depends')).not.toMatch(/nodejs/);
    expect(Number(field('Installed-Size'))).toBeGreaterThan(50_000);
    const info = mkdtempSync(join(tmpdir(), 'upsguard-deb-control-'));
    try {
      execFileSync('dpkg-deb', ['-e', deb, info]);
      expect(readFileSync(join(info, 'conffiles'), 'utf8')).toBe('/etc/upsguard/upsguard.yaml\n');
      for (const script of ['postinst', 'prerm', 'postrm']) {
        const r = spawnSync('sh', ['-n', join(info, script)]);
        expect(r.status, script).toBe(0);
      }
    } finally {
      rmSync(info, { recursive: true, force: true });
    }
  });

  describe('maintainer scripts, run by dpkg in a fresh root', () => {
    const root = mkdtempSync(join(tmpdir(), 'upsguard-dpkg-root-'));
    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('install makes the user and modes and enables the unit; reinstall keeps edits; remove keeps config and data; purge removes them', () => {
      // One shell session in a private mount namespace: the root is this machine's /usr under an overlay, with an
      // /etc and /var of its own, so nothing reaches this machine's users, units or /etc.
      const script = `
        set -eu
        say() { printf '%s=%s\\n' "$1" "$2"; }
        dpkg --root="$R" --force-depends --force-unsafe-io -i "$DEB" >/dev/null 2>"$R/dpkg.err" || { cat "$R/dpkg.err"; exit 1; }
        say user "$(chroot "$R" getent passwd upsguard | cut -d: -f1,6,7)"
        say group "$(chroot "$R" id -gn upsguard)"
        say etc "$(chroot "$R" stat -c '%U:%G %a' /etc/upsguard /etc/upsguard/upsguard.yaml | tr '\\n' ' ')"
        say state "$(chroot "$R" stat -c '%U:%G %a' /var/lib/upsguard)"
        say enabled "$(test -L "$R/etc/systemd/system/multi-user.target.wants/upsguard.service" && echo yes || echo no)"
        say relay_enabled "$(test -e "$R/etc/systemd/system/multi-user.target.wants/upsguard-relay.service" && echo yes || echo no)"
        say version "$(chroot "$R" env -i /usr/bin/upsguard --version)"
        say check "$(chroot "$R" env -i /usr/bin/upsguard config check /etc/upsguard/upsguard.yaml 2>&1)"
        say sqlite "$(chroot "$R" env -i /usr/lib/upsguard/node/bin/node -e "const D=require('/usr/lib/upsguard/node_modules/better-sqlite3'); console.log(new D(':memory:').prepare('select sqlite_version() v').get().v.length > 0)")"

        echo '# an admin edit' >> "$R/etc/upsguard/upsguard.yaml"
        echo data > "$R/var/lib/upsguard/upsguard.db"
        dpkg --root="$R" --force-depends --force-unsafe-io -i "$DEB" >/dev/null 2>"$R/dpkg.err" || { cat "$R/dpkg.err"; exit 1; }
        say reinstall_edit "$(grep -c 'an admin edit' "$R/etc/upsguard/upsguard.yaml")"
        say reinstall_data "$(cat "$R/var/lib/upsguard/upsguard.db")"
        say reinstall_mode "$(chroot "$R" stat -c '%U %a' /etc/upsguard/upsguard.yaml)"

        dpkg --root="$R" --force-depends -r upsguard >/dev/null 2>"$R/dpkg.err" || { cat "$R/dpkg.err"; exit 1; }
        say removed_bin "$(test -e "$R/usr/bin/upsguard" && echo present || echo gone)"
        say removed_config "$(test -f "$R/etc/upsguard/upsguard.yaml" && echo kept || echo gone)"
        say removed_data "$(cat "$R/var/lib/upsguard/upsguard.db")"

        dpkg --root="$R" --force-depends -P upsguard >/dev/null 2>"$R/dpkg.err" || { cat "$R/dpkg.err"; exit 1; }
        say purged_config "$(test -e "$R/etc/upsguard" && echo kept || echo gone)"
        say purged_data "$(test -e "$R/var/lib/upsguard" && echo kept || echo gone)"
        say purged_enabled "$(test -e "$R/etc/systemd/system/multi-user.target.wants/upsguard.service" && echo yes || echo no)"
        say purged_user "$(chroot "$R" getent passwd upsguard | cut -d: -f1)"
      `;
      const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', DEB: deb, LANG: 'C' };
      const r = spawnSync(
        'unshare',
        ['--mount', '--propagation', 'private', join(repo, 'test/packaging/dpkg-root.sh'), root, 'sh', '-c', script],
        { encoding: 'utf8', env, timeout: 240_000 },
      );
      expect(r.stderr + (r.error?.message ?? ''), 'the session').toBe('');
      expect(r.status).toBe(0);
      const got = Object.fromEntries(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(got).toEqual({
        user: 'upsguard:/var/lib/upsguard:/usr/sbin/nologin',
        group: 'upsguard',
        etc: 'upsguard:upsguard 750 upsguard:upsguard 600 ',
        state: 'upsguard:upsguard 750',
        enabled: 'yes',
        relay_enabled: 'no',
        version,
        check: '/etc/upsguard/upsguard.yaml: ok (1 UPS)',
        sqlite: 'true',
        reinstall_edit: '1',
        reinstall_data: 'data',
        reinstall_mode: 'upsguard 600',
        removed_bin: 'gone',
        removed_config: 'kept',
        removed_data: 'data',
        purged_config: 'gone',
        purged_data: 'gone',
        purged_enabled: 'no',
        purged_user: 'upsguard',
      });
    }, 300_000);
  });
});
