/**
 * One qemu-system-x86_64 process of a test guest: its serial console on stdio (read by a ConsoleReader, written as
 * command lines) and its QMP socket. A migrating guest has two of these in turn; qemu-guest.ts is the guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ConsoleReader, commandLine, type ConsoleAnswer, type GarbledAnswer } from './guest-console.js';
import { Qmp } from './qmp.js';
import { until } from './until.js';

/** Every QEMU a test started and has not yet seen exit: killed if the test process ends first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface CommandResult {
  /** The output (stdout and stderr together) as text, for commands that print text. */
  readonly out: string;
  /** The same output as bytes, for commands that print binary (a HID report). */
  readonly raw: Buffer;
  readonly code: number;
}

export class QemuProcess {
  readonly console: ConsoleReader;
  private readonly waiting = new Map<number, (a: ConsoleAnswer | GarbledAnswer) => void>();
  private stderr = '';
  private exited: { code: number | null; signal: string | null } | undefined;
  readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly qmp: Qmp,
    console: ConsoleReader,
  ) {
    this.console = console;
    child.stderr!.on('data', (c: Buffer) => (this.stderr = (this.stderr + c.toString()).slice(-8000)));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exited = { code, signal };
        resolve();
      }),
    );
  }

  /** Starts QEMU with `args` plus its console and a QMP socket at `dir/qmp-<name>.sock`, and connects to QMP. */
  static async start(args: readonly string[], dir: string, name: string): Promise<QemuProcess> {
    const qmpPath = join(dir, `qmp-${name}.sock`);
    const child = spawn(
      'qemu-system-x86_64',
      [
        ...args,
        // signal=off: a byte 0x03 on the console is data, not Ctrl-C to QEMU.
        ...['-chardev', 'stdio,id=console,signal=off', '-serial', 'chardev:console'],
        ...['-qmp', `unix:${qmpPath},server=on,wait=off`],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    live.add(child);
    // A write to a QEMU that just died is reported by its exit; unhandled, the EPIPE would end the test run.
    child.stdin.on('error', () => undefined);
    let proc: QemuProcess | undefined;
    const reader = new ConsoleReader((a) => proc?.answer(a));
    child.stdout.on('data', (c: Buffer) => reader.push(c));
    const early = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`qemu exited (${code}) before its QMP socket answered`))),
    );
    try {
      const qmp = await Promise.race([Qmp.connect(qmpPath), early]);
      proc = new QemuProcess(child, qmp, reader);
      return proc;
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** What QEMU printed on stderr and the console outside answers: for a failing test's message. */
  diagnostics(): string {
    const exit = this.exited ? `exited code=${this.exited.code} signal=${this.exited.signal}\n` : '';
    return `${exit}--- qemu stderr ---\n${this.stderr}\n--- guest console ---\n${this.console.log()}`;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    await until(
      'the guest console to print @@READY',
      () => {
        if (!this.running) throw new Error(`qemu ended while booting\n${this.diagnostics()}`);
        const failed = /@@INSMOD-FAILED .*/.exec(this.console.log(500));
        if (failed) throw new Error(`guest: ${failed[0]}\n${this.diagnostics()}`);
        return this.console.ready;
      },
      timeoutMs,
      50,
    ).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${this.diagnostics()}`);
    });
  }

  /** Sends command `id` and waits for its answer; the guest runs one at a time, so callers must not overlap. */
  async run(id: number, script: string, timeoutMs: number): Promise<CommandResult> {
    if (!this.running) throw new Error(`qemu is not running\n${this.diagnostics()}`);
    const answer = new Promise<ConsoleAnswer | GarbledAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`guest command ${id} had no answer in ${timeoutMs} ms: ${script}\n${this.diagnostics()}`));
      }, timeoutMs);
      void this.exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`qemu ended while running guest command ${id}: ${script}\n${this.diagnostics()}`));
      });
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
    this.child.stdin!.write(commandLine(id, script));
    const a = await answer;
    if ('garbled' in a) throw new Error(`guest answer ${id} was garbled by ${JSON.stringify(a.garbled)}: ${script}`);
    return { out: a.out.toString('utf8'), raw: a.out, code: a.code };
  }

  /** SIGKILL: a test guest has nothing to save, and a stuck TCG guest may not answer `quit`. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    this.qmp.close();
    await this.exit;
  }

  private answer(a: ConsoleAnswer | GarbledAnswer): void {
    const w = this.waiting.get(a.id);
    this.waiting.delete(a.id);
    w?.(a);
  }
}
