/**
 * A minimal Linux guest under QEMU (TCG) for tests that need a real kernel's view of a USB device: Debian's kernel,
 * the initramfs of guest-initramfs.ts, an xHCI controller and whatever USB devices the test plugs in. The test
 * runs shell commands in the guest over its serial console, drives QEMU over QMP, and can live-migrate the guest
 * to a second QEMU process, after which the same Guest object talks to the new one.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInitramfs, haveGuestPieces } from './guest-initramfs.js';
import { KERNEL, guestKernel } from './guest-kernel.js';
import { QemuProcess, type CommandResult } from './qemu-process.js';
import type { Qmp } from './qmp.js';
import { sleep } from './until.js';

export { buildInitramfs } from './guest-initramfs.js';
export type { CommandResult } from './qemu-process.js';

/** Whether this machine can run the guest: QEMU, a readable kernel (Debian makes it 0600 for root), busybox. */
export function haveQemuGuest(): boolean {
  try {
    accessSync(KERNEL, constants.R_OK);
    accessSync('/usr/bin/qemu-system-x86_64', constants.X_OK);
  } catch {
    return false;
  }
  return haveGuestPieces();
}

export interface GuestOptions {
  /** QEMU arguments for the USB devices, e.g. ['-device', 'usb-kbd,bus=xhci.0,id=kbd']; the xHCI is `xhci`. */
  readonly usb?: readonly string[];
  /** Any other QEMU arguments (chardevs for usb-redir). A migration's destination gets the same ones. */
  readonly extra?: readonly string[];
  /** Start as a migration destination: `defer` (then QMP migrate-incoming) or a URI; the guest does not boot. */
  readonly incoming?: string;
  readonly memoryMb?: number;
}

export interface MigrationTimes {
  /** From the source's `migrate` to its MIGRATION completed event. */
  readonly migrateMs: number;
  /** From starting the destination QEMU to the guest answering a command there. */
  readonly totalMs: number;
}

/** The QEMU arguments that make the guest: the same for a source and its migration destination. */
function machineArgs(kernel: string, initrd: string, o: GuestOptions): string[] {
  return [
    ...['-machine', 'q35', '-accel', 'tcg', '-cpu', 'qemu64', '-smp', '1', '-m', String(o.memoryMb ?? 128)],
    ...['-display', 'none', '-nodefaults', '-no-user-config', '-no-reboot'],
    ...['-kernel', kernel, '-initrd', initrd],
    // panic=-1 with -no-reboot: a guest whose /init dies makes QEMU exit at once instead of hanging the test.
    ...['-append', 'console=ttyS0 quiet panic=-1'],
    ...['-device', 'qemu-xhci,id=xhci'],
    ...(o.usb ?? []),
    ...(o.extra ?? []),
  ];
}

export class Guest {
  private proc: QemuProcess;
  private generation = 0;
  private nextId = 1;
  /** Commands (and migrations) one after another: the guest's loop runs one command at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    first: QemuProcess,
    private readonly args: readonly string[],
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {
    this.proc = first;
  }

  /** QMP of the QEMU process the guest runs in now (it changes with a migration). */
  get qmp(): Qmp {
    return this.proc.qmp;
  }

  waitReady(timeoutMs = 120_000): Promise<void> {
    return this.proc.waitReady(timeoutMs);
  }

  /** Runs `cmd` with the guest's /bin/sh; resolves with its output and exit code (never rejects on a non-zero one). */
  run(cmd: string, timeoutMs = 30_000): Promise<CommandResult> {
    return this.serially(() => this.proc.run(this.nextId++, cmd, timeoutMs));
  }

  /** Runs `cmd` until it exits 0 (a device that appears, a file that fills), returning that run's result. */
  async runUntil(what: string, cmd: string, timeoutMs = 60_000): Promise<CommandResult> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.run(cmd, Math.max(1000, end - Date.now()));
      if (r.code === 0) return r;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${r.out}`);
      await sleep(200);
    }
  }

  /**
   * Starts reading `bytes` bytes from `device` (a /dev/hidraw*) in the guest's background and resolves once the
   * device is open, so whatever the test then makes the device send cannot come before the reader. `bytes()`
   * resolves with what was read when `bytes` arrived or `timeoutS` passed, whichever first.
   */
  async captureDevice(device: string, bytes: number, timeoutS = 20): Promise<{ bytes(): Promise<Buffer> }> {
    const tag = `/tmp/capture-${this.nextId}`;
    await this.run(
      `(timeout ${timeoutS} head -c ${bytes} ${device} >${tag}; echo $? >${tag}.rc) </dev/null >/dev/null 2>&1 &`,
    );
    await this.runUntil(
      `${device} to be open in the guest`,
      `for f in /proc/[0-9]*/fd/*; do [ "$(readlink "$f")" = ${device} ] && exit 0; done; exit 1`,
      15_000,
    );
    return {
      bytes: async () => {
        await this.runUntil(`the capture of ${device} to end`, `test -s ${tag}.rc`, (timeoutS + 15) * 1000);
        return (await this.run(`cat ${tag}`)).raw;
      },
    };
  }

  /**
   * Live-migrates the guest to a second QEMU process started with the same arguments, over a unix socket, then
   * quits the first (paused after a migration) and sends every later command to the second's console.
   */
  migrate(timeoutMs = 120_000): Promise<MigrationTimes> {
    return this.serially(async () => {
      const started = Date.now();
      const name = `g${++this.generation}`;
      const dest = await QemuProcess.start([...this.args, '-incoming', 'defer'], this.dir, name);
      try {
        const uri = `unix:${join(this.dir, `migrate-${name}.sock`)}`;
        await dest.qmp.execute('migrate-incoming', { uri });
        const resumed = dest.qmp.events.length;
        const t0 = Date.now();
        await this.proc.qmp.migrate(uri, timeoutMs);
        const migrateMs = Date.now() - t0;
        await dest.qmp.waitEvent('RESUME', undefined, 30_000, resumed);
        const source = this.proc;
        this.proc = dest;
        await source.kill();
        // The console the test reads is now the destination's: the first answer from it proves the switch.
        const probe = await dest.run(this.nextId++, 'echo migrated', 30_000);
        if (probe.out.trim() !== 'migrated') throw new Error(`after migration the guest answered ${probe.out}`);
        return { migrateMs, totalMs: Date.now() - started };
      } catch (e) {
        if (this.proc !== dest) await dest.kill();
        throw e;
      }
    });
  }

  /** What QEMU and the guest console said, for a failing test's message. */
  diagnostics(): string {
    return this.proc.diagnostics();
  }

  /** Kills QEMU (whichever process the guest is in) and removes the guest's socket directory. */
  async stop(): Promise<void> {
    // Killed first: a command still waiting on the console then fails at once instead of running out its timeout.
    await this.proc.kill();
    await this.queue.catch(() => undefined);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/**
 * Starts QEMU with the guest. The caller awaits `waitReady()` (a booting guest) and must `stop()` it in a
 * `finally`/`afterAll`; a QEMU left over when the test process exits is killed regardless.
 */
export async function startGuest(o: GuestOptions = {}, dir?: string): Promise<Guest> {
  const guestDir = dir ?? mkdtempSync(join(tmpdir(), 'upsguard-guest-'));
  const args = machineArgs(guestKernel(), buildInitramfs(), o);
  const first = await QemuProcess.start([...args, ...(o.incoming ? ['-incoming', o.incoming] : [])], guestDir, 'g0');
  return new Guest(first, args, guestDir, dir === undefined);
}
