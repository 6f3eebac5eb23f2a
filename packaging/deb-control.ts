/** The .deb's DEBIAN/control. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ControlFields {
  readonly version: string;
  readonly arch: string;
  readonly installedSizeKb: number;
}

/**
 * What the packaged runtime and native modules link against (ldd of node, better-sqlite3, node-hid, usb), what the
 * maintainer scripts call (adduser, deb-systemd-helper), and perl-base for the sd_notify helper (Essential anyway).
 */
export const DEPENDS = [
  'adduser',
  'init-system-helpers (>= 1.52)',
  'libc6 (>= 2.28)',
  'libgcc-s1',
  'libstdc++6',
  'libudev1',
  'libusb-1.0-0',
  'perl-base',
] as const;

export function controlFile(f: ControlFields): string {
  return [
    'Package: upsguard',
    `Version: ${f.version}`,
    `Architecture: ${f.arch}`,
    'Maintainer: upsguard maintainers <upsguard@users.noreply.github.com>',
    `Installed-Size: ${f.installedSizeKb}`,
    `Depends: ${DEPENDS.join(', ')}`,
    'Recommends: openssh-client',
    'Suggests: libvirt-clients',
    'Section: admin',
    'Priority: optional',
    'Homepage: https://github.com/upsguard/upsguard',
    'Description: UPS power protection for home labs and small clusters',
    ' upsguard reads a UPS over USB HID (directly or through its relay agent on the',
    ' host the cable is plugged into), decides when power is really failing, and',
    ' shuts the cluster down in order: VMs, then hosts, its own host last, with the',
    " UPS's delayed load-off so everything comes back with mains. It serves a web",
    ' page and speaks the NUT protocol. Carries its own Node.js runtime.',
    '',
  ].join('\n');
}

/** du -sk of the tree without DEBIAN/, as dpkg-gencontrol counts it (1 KiB per started block of each file). */
export function installedSizeKb(root: string): number {
  let total = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (dir === root && e.name === 'DEBIAN') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else total += Math.ceil(statSync(p).size / 1024);
    }
  };
  walk(root);
  return Math.max(1, total);
}
