import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';

/**
 * The sd_notify protocol (READY, WATCHDOG, RELOADING, STOPPING) for a Type=notify unit.
 *
 * Node has no unix datagram sockets, and the usual one-shot `systemd-notify` loses messages on Debian 12: systemd
 * looks up the sender's unit from its PID after the datagram arrives, and a sender that has already exited belongs
 * to no unit. So one long-lived helper (perl, which every Debian system has: perl-base is Essential) stays in the
 * service's cgroup for the life of the process and sends each line it reads on stdin as one datagram (the unit says
 * NotifyAccess=all). The watchdog ping is written from a timer on Node's event loop, so a stalled loop stops the
 * pings and systemd restarts the service. Without NOTIFY_SOCKET (not under systemd) every call does nothing.
 */
const HELPER = [
  'use Socket;',
  'my $p = $ENV{NOTIFY_SOCKET}; $p =~ s/^@/\\0/;',
  'socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!\\n";',
  'my $to = pack_sockaddr_un($p);',
  'while (my $l = <STDIN>) { chomp $l; send($s, $l, 0, $to) or warn "send: $!\\n"; }',
].join(' ');

/** The environment keys of the protocol; removed from the process's environment so children do not inherit them. */
const PROTOCOL_KEYS = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

export interface SystemdNotifyOptions {
  readonly log: Logger;
  /** Usually process.env; the protocol's keys are read and then deleted from it. */
  readonly env: NodeJS.ProcessEnv;
  readonly pid?: number;
  /** The interpreter for the helper; a test may point at another perl. */
  readonly perl?: string;
}

export class SystemdNotify {
  private helper: ChildProcess | null = null;
  private watchdog: NodeJS.Timeout | undefined;
  private socketPath: string | undefined;
  private watchdogMs = 0;
  private failed = false;
  private stoppingSent = false;

  constructor(private readonly o: SystemdNotifyOptions) {}

  /** Whether a notify socket was given (the process runs under a Type=notify unit). */
  get active(): boolean {
    return this.socketPath !== undefined;
  }

  /** The watchdog ping period in ms (half of WATCHDOG_USEC), or 0 without a watchdog. */
  get watchdogIntervalMs(): number {
    return this.watchdogMs;
  }

  /** Reads the environment and starts the helper; call before the parts start so a slow start is not killed. */
  start(): void {
    if (this.helper || this.failed) return;
    const env = this.o.env;
    const socket = env.NOTIFY_SOCKET;
    const usec = Number(env.WATCHDOG_USEC ?? '');
    const watchdogPid = env.WATCHDOG_PID === undefined ? undefined : Number(env.WATCHDOG_PID);
    for (const k of PROTOCOL_KEYS) Reflect.deleteProperty(env, k);
    if (socket === undefined || socket === '') return;
    this.socketPath = socket;
    const forUs = watchdogPid === undefined || watchdogPid === (this.o.pid ?? process.pid);
    this.watchdogMs = forUs && Number.isFinite(usec) && usec > 0 ? Math.max(100, Math.floor(usec / 2000)) : 0;

    const helper = spawn(this.o.perl ?? 'perl', ['-e', HELPER], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NOTIFY_SOCKET: socket },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    helper.on('error', (e) => this.fail(`cannot start the notify helper: ${e.message}`));
    helper.stdin.on('error', (e) => this.fail(`the notify helper went away: ${e.message}`));
    helper.stderr.setEncoding('utf8');
    helper.stderr.on('data', (text: string) => {
      this.o.log.warn({ socket, detail: text.trim() }, 'systemd notify helper');
    });
    helper.on('exit', (code, signal) => {
      if (this.helper === helper) this.fail(`the notify helper exited (${signal ?? code ?? '?'})`);
    });
    // The helper must never keep the process alive on its own.
    helper.unref();
    (helper.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    (helper.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    this.helper = helper;
  }

  /** READY=1 (after every part is up, and again after a reload), then the watchdog pings start. */
  ready(status?: string): void {
    this.send('READY=1');
    if (status !== undefined) this.status(status);
    if (this.watchdogMs > 0 && this.watchdog === undefined) {
      this.watchdog = setInterval(() => this.send('WATCHDOG=1'), this.watchdogMs);
      this.watchdog.unref();
      this.send('WATCHDOG=1');
    }
  }

  /** RELOADING=1 before a reload is applied; call ready() when it is done (applied or refused). */
  reloading(): void {
    this.send('RELOADING=1');
  }

  /** STOPPING=1 when the stop begins, so systemd waits for the exit instead of calling it a crash. */
  stopping(): void {
    this.send('STOPPING=1');
    this.stoppingSent = true;
  }

  /** A one-line STATUS= shown by `systemctl status`. */
  status(text: string): void {
    this.send(`STATUS=${text.replace(/[\r\n]+/g, ' ')}`);
  }

  /** Ends the pings and lets the helper exit once it has sent what it was given. */
  stop(): void {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    const helper = this.helper;
    this.helper = null;
    helper?.stdin?.end();
  }

  private send(line: string): void {
    const stdin = this.helper?.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return;
    stdin.write(`${line}\n`);
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.helper = null;
    // At stop systemd may signal the whole cgroup, the helper with it: nothing is lost then.
    if (this.stoppingSent) this.o.log.debug({ socket: this.socketPath }, message);
    else this.o.log.error({ socket: this.socketPath }, message);
  }
}

/** For the reload (SIGHUP) handler: RELOADING=1 before the new config is tried. */
export function notifyReloading(notify: SystemdNotify): void {
  notify.reloading();
}

/** For the reload handler: READY=1 once the new config is applied or refused (the service runs on either way). */
export function notifyReady(notify: SystemdNotify, status?: string): void {
  notify.ready(status);
}
