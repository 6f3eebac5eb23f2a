/**
 * The test guest's kernel. Debian's bzImage is xz-compressed, and under TCG the guest spends about six seconds
 * inflating it before Linux prints a line; the host's xz does the same in one. So the ELF inside is extracted once
 * (cached in os.tmpdir() by the bzImage's hash) and QEMU boots it directly through its PVH entry point
 * (CONFIG_PVH=y), measured here: 12 s to the guest's prompt from the bzImage, under 6 s from the ELF.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The newest Debian kernel installed with its modules (linux-image-amd64 brings one; which release depends on the
 * mirror's day, so it is found, not named).
 */
function newestKernelRelease(): string {
  const releases = (existsSync('/boot') ? readdirSync('/boot') : [])
    .map((f) => /^vmlinuz-(.+)$/.exec(f)?.[1])
    .filter((r): r is string => r !== undefined && existsSync(`/lib/modules/${r}/modules.dep`))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return releases.at(-1) ?? 'none-installed';
}

export const KERNEL_RELEASE = newestKernelRelease();
export const KERNEL = `/boot/vmlinuz-${KERNEL_RELEASE}`;
const CONFIG = `/boot/config-${KERNEL_RELEASE}`;
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

const hasPvhEntry = (): boolean => existsSync(CONFIG) && /^CONFIG_PVH=y$/m.test(readFileSync(CONFIG, 'utf8'));

/** The ELF from inside `bzImage`, or undefined if it is not xz inside or the result is not an ELF. */
function extractElf(bzImage: Buffer): Buffer | undefined {
  const at = bzImage.indexOf(XZ_MAGIC);
  if (at < 0 || !existsSync('/usr/bin/xz')) return undefined;
  // --single-stream: the bzImage goes on after the compressed kernel; xz stops at the stream's end.
  const elf = execFileSync('xz', ['-dc', '--single-stream'], { input: bzImage.subarray(at), maxBuffer: 512 << 20 });
  return elf.subarray(0, 4).equals(ELF_MAGIC) ? elf : undefined;
}

/** The path QEMU's -kernel should boot: the cached uncompressed ELF if this kernel allows, else the bzImage. */
export function guestKernel(): string {
  if (!hasPvhEntry()) return KERNEL;
  const bzImage = readFileSync(KERNEL);
  const key = createHash('sha256').update(bzImage).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'upsguard-initramfs');
  const path = join(dir, `vmlinux-${key}`);
  if (existsSync(path)) return path;
  const elf = extractElf(bzImage);
  if (!elf) return KERNEL;
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: two test files extracting at once never boot a half-written kernel.
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, elf);
  renameSync(partial, path);
  return path;
}
