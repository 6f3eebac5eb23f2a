import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file whole or not at all: a temporary file in the same directory (so the rename cannot cross
 * filesystems), given its mode before any data is written, written and flushed, renamed over the file, then the
 * directory flushed so the rename survives a power cut. A crash leaves the old file or the new one, never half.
 *
 * The mode is `mode` when given, else the existing file's (which must then exist); an existing file's owner is kept
 * when the process may give it away. A path that is a symlink is written where it points: renaming over the link
 * would replace the link. Errors are the filesystem's own; callers say what they were writing.
 */
export function writeFileAtomic(path: string, text: string | Uint8Array, mode?: number): void {
  // Without a mode there must be a file to take it from: statSync then throws the filesystem's ENOENT for it.
  const existing = mode === undefined ? statSync(path) : statIfExists(path);
  const file = existing === null ? path : realpathSync(path);
  const finalMode = mode ?? (existing === null ? 0o600 : existing.mode & 0o7777);
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', finalMode);
    try {
      // The umask may have narrowed the mode given to open; the file gets exactly this one, before any data.
      fchmodSync(fd, finalMode);
      if (existing !== null) keepOwner(fd, existing);
      if (typeof text === 'string') writeSync(fd, text);
      else for (let at = 0; at < text.length;) at += writeSync(fd, text, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dirname(file));
}

function statIfExists(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function keepOwner(fd: number, st: Stats): void {
  try {
    fchownSync(fd, st.uid, st.gid);
  } catch {
    // Only root may give a file away; the owner stays the caller's then, as with any editor.
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse to flush a directory; the rename itself is already atomic.
  }
}
