/**
 * Reading the files a configuration names (the config itself, secret files, scenario files, certificates and keys)
 * with a size cap: at most cap + 1 bytes are read through a file descriptor, so /dev/zero, an endless FIFO or a
 * 50 MB list is refused instead of exhausting memory.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ErrorCode, UpsguardError } from '../errors.js';

export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const CAP_TEXT = `the ${MAX_CONFIG_FILE_BYTES} byte (1 MiB) cap`;

/** Why a file could not be read, by its errno code: `ENOENT`, `EACCES`, `EISDIR`; the code alone, never content. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code ?? (err instanceof Error ? err.message : String(err));
}

/** A file over the cap; `details.file` and `details.cap` name it. */
export class FileTooLargeError extends UpsguardError {
  constructor(file: string, cap: number) {
    super(ErrorCode.ConfigFileTooLarge, `${file} is larger than ${CAP_TEXT}`, { file, cap });
  }
}

export const FILE_TOO_LARGE_PROBLEM = `larger than ${CAP_TEXT} for configuration files`;

/**
 * The file's bytes, at most `cap`; throws FileTooLargeError past it and the fs error (with its errno code) when it
 * cannot be opened or read.
 */
export function readCappedFile(file: string, cap = MAX_CONFIG_FILE_BYTES): Buffer {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, cap + 1 - total), null);
      if (n === 0) break;
      chunks.push(Buffer.from(chunk.subarray(0, n)));
      total += n;
      if (total > cap) throw new FileTooLargeError(file, cap);
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** One `path: reason` problem for a file a config key names, or the text (UTF-8) when it reads. */
export function readConfigFileText(
  file: string,
  key: string,
): { ok: true; text: string } | { ok: false; problem: string } {
  try {
    return { ok: true, text: readCappedFile(file).toString('utf8') };
  } catch (err) {
    if (err instanceof FileTooLargeError) return { ok: false, problem: `${key}: ${err.message}` };
    return { ok: false, problem: `${key}: cannot read ${file} (${readFailure(err)})` };
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  EIO: 'input/output error',
};

/** The reason in words for a person, the errno code kept: `no such file or directory (ENOENT)`. */
export function describeReadFailure(err: unknown): string {
  const code = readFailure(err);
  const text = ERRNO_TEXT[code];
  return text === undefined ? code : `${text} (${code})`;
}
