/**
 * A tiny initramfs for the QEMU test guest: static busybox, the USB/HID modules of the host's Debian kernel and an
 * /init that runs the command loop of guest-console.ts on ttyS0. Built in a few hundred milliseconds and cached in
 * os.tmpdir() under a key of everything it holds, so tests share one copy and a changed input builds a new one.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newcArchive, type CpioEntry } from './cpio-newc.js';
import { guestLoopScript } from './guest-console.js';
import { KERNEL, KERNEL_RELEASE } from './guest-kernel.js';

const MODULE_DIR = `/lib/modules/${KERNEL_RELEASE}`;
const BUSYBOX = '/bin/busybox';

/**
 * What the guest must load to see a USB HID device as /dev/hidraw*. This kernel has the 8250 console, devtmpfs and
 * hidraw built in (/boot/config-*: SERIAL_8250_CONSOLE=y, DEVTMPFS=y, HIDRAW=y), and USB, xHCI and HID as modules.
 */
export const GUEST_MODULES = ['xhci-pci', 'usbhid', 'hid-generic'] as const;

export const haveGuestPieces = (): boolean =>
  existsSync(KERNEL) && existsSync(BUSYBOX) && existsSync(join(MODULE_DIR, 'modules.dep'));

/** modules.dep's lines as module name -> [its file, its dependencies' files], names as modprobe spells them. */
function readModulesDep(): Map<string, { file: string; deps: string[] }> {
  const map = new Map<string, { file: string; deps: string[] }>();
  for (const line of readFileSync(join(MODULE_DIR, 'modules.dep'), 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const file = line.slice(0, colon);
    const deps = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    map.set(moduleName(file), { file, deps });
  }
  return map;
}

const moduleName = (file: string): string =>
  file
    .replace(/^.*\//, '')
    .replace(/\.ko(\.xz|\.zst|\.gz)?$/, '')
    .replace(/_/g, '-');

/** The module files to insmod, dependencies first: busybox insmod loads one file and resolves nothing. */
export function moduleLoadOrder(wanted: readonly string[]): string[] {
  const dep = readModulesDep();
  const byFile = new Map([...dep.values()].map((m) => [m.file, m]));
  const order: string[] = [];
  const visit = (file: string, path: readonly string[]): void => {
    if (order.includes(file)) return;
    if (path.includes(file)) throw new Error(`modules.dep has a cycle through ${file}`);
    const m = byFile.get(file);
    if (!m) throw new Error(`${file} is named in modules.dep's dependencies but has no line of its own`);
    for (const d of m.deps) visit(d, [...path, file]);
    order.push(file);
  };
  for (const name of wanted) {
    const m = dep.get(name.replace(/_/g, '-'));
    if (!m) throw new Error(`module ${name} is not in ${MODULE_DIR}/modules.dep (built in, or not in this kernel)`);
    visit(m.file, []);
  }
  return order;
}

/** A module's bytes as insmod needs them: busybox's insmod hands the file to init_module as is, uncompressed. */
function moduleBytes(file: string): Buffer {
  const path = join(MODULE_DIR, file);
  if (file.endsWith('.ko')) return readFileSync(path);
  if (file.endsWith('.ko.xz')) return execFileSync('xz', ['-dc', path], { maxBuffer: 64 << 20 });
  if (file.endsWith('.ko.zst')) return execFileSync('zstd', ['-dc', path], { maxBuffer: 64 << 20 });
  throw new Error(`module ${file} has a compression this harness does not undo`);
}

function initScript(modules: readonly string[]): string {
  const insmods = modules.map((f) => `insmod /lib/modules/${f.replace(/^.*\//, '')} || echo "@@INSMOD-FAILED ${f}"`);
  return [
    '#!/bin/sh',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev',
    'mount -t tmpfs tmpfs /tmp',
    // Kernel messages on the console would land inside command output; dmesg keeps them for whoever asks.
    'dmesg -n 1',
    ...insmods,
    guestLoopScript(),
    '',
  ].join('\n');
}

/** The applets this busybox has, asked of the binary itself so the links match what it can run. */
const busyboxApplets = (): string[] =>
  execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');

function archiveEntries(): CpioEntry[] {
  const modules = moduleLoadOrder(GUEST_MODULES);
  const entries: CpioEntry[] = ['bin', 'dev', 'proc', 'sys', 'tmp', 'lib', 'lib/modules'].map((path) => ({
    kind: 'dir' as const,
    path,
  }));
  // The kernel opens /dev/console for /init's stdin/stdout before anything mounts devtmpfs over /dev.
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 });
  for (const applet of busyboxApplets()) entries.push({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' });
  for (const f of modules) {
    entries.push({ kind: 'file', path: `lib/modules/${f.replace(/^.*\//, '')}`, data: moduleBytes(f) });
  }
  entries.push({ kind: 'file', path: 'init', data: Buffer.from(initScript(modules)), mode: 0o755 });
  return entries;
}

/**
 * The initramfs as an uncompressed newc archive (a gzip'd one is smaller, but inflating it under TCG costs the
 * guest more than QEMU's reading a few more megabytes costs the host). Returns its path: `dir` if given, else a
 * cache in os.tmpdir() shared by every test, keyed by the archive's own hash.
 */
export function buildInitramfs(dir?: string): string {
  const archive = newcArchive(archiveEntries());
  const key = createHash('sha256').update(archive).digest('hex').slice(0, 16);
  const outDir = dir ?? join(tmpdir(), 'upsguard-initramfs');
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, `guest-${key}.cpio`);
  if (!existsSync(path)) {
    // Written aside and renamed: two test files building at once never see a half-written archive.
    const partial = `${path}.${process.pid}.partial`;
    writeFileSync(partial, archive);
    renameSync(partial, path);
  }
  return path;
}
