/**
 * The "newc" cpio format the kernel unpacks as an initramfs (Documentation/driver-api/early-userspace/
 * buffer-format.rst). Written here rather than by running cpio(1) because the archive needs a /dev/console device
 * node, and mknod on the host would need root and leave a device file behind; in the archive it is just a header.
 */

export type CpioEntry =
  | { readonly kind: 'dir'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  | { readonly kind: 'chardev'; readonly path: string; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';
const HEADER_LEN = 110;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function header(
  ino: number,
  mode: number,
  size: number,
  nameLen: number,
  rdev: { major: number; minor: number },
): string {
  // Fields in order: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
  // namesize (with its NUL), check. mtime 0 keeps the archive a function of its content, so the cache key holds.
  const nlink = (mode & S_IFDIR) === S_IFDIR ? 2 : 1;
  return '070701' + [ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev.major, rdev.minor, nameLen + 1, 0].map(hex8).join('');
}

function record(ino: number, name: string, mode: number, data: Buffer, rdev = { major: 0, minor: 0 }): Buffer[] {
  const nameBuf = Buffer.from(name + '\0');
  const head = Buffer.from(header(ino, mode, data.length, nameBuf.length - 1, rdev), 'ascii');
  return [head, nameBuf, Buffer.alloc(pad4(HEADER_LEN + nameBuf.length)), data, Buffer.alloc(pad4(data.length))];
}

/** Paths in the archive are relative ("bin/sh"): the kernel unpacks them under its rootfs. */
function archivePath(path: string): string {
  const p = path.replace(/^\/+/, '');
  if (p === '' || p.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`cpio entry path ${JSON.stringify(path)} is not a plain relative path`);
  }
  return p;
}

/** One newc archive holding `entries` in the order given (parents must come before their children). */
export function newcArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const e of entries) {
    const name = archivePath(e.path);
    switch (e.kind) {
      case 'dir':
        parts.push(...record(ino++, name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case 'file':
        parts.push(...record(ino++, name, S_IFREG | (e.mode ?? 0o644), e.data));
        break;
      case 'symlink':
        parts.push(...record(ino++, name, S_IFLNK | 0o777, Buffer.from(e.target)));
        break;
      case 'chardev':
        parts.push(...record(ino++, name, S_IFCHR | 0o600, Buffer.alloc(0), { major: e.major, minor: e.minor }));
        break;
    }
  }
  parts.push(...record(0, TRAILER, 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
