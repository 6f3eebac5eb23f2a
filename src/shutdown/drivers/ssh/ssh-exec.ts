import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, UpsguardError } from '../../../errors.js';
import { peerText, redactKeyMaterial } from '../../../util/redact.js';

/** What one finished child process said; `timedOut` when we killed it at its limit. */
export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** The program could not be started at all (ENOENT: not installed). */
  readonly spawnError?: string;
}

/** Runs a program without a shell, bounded by `timeoutMs`; never rejects, so callers classify every outcome. */
export function execBounded(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, env },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ code: 0, stdout, stderr, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (typeof e.code === 'string') {
          resolve({ code: null, stdout, stderr, timedOut: false, spawnError: `${file}: ${e.code}` });
          return;
        }
        resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr, timedOut: e.killed === true });
      },
    );
  });
}

/** `SHA256:base64` (unpadded) of an OpenSSH public key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(keyBase64: string): string {
  const digest = createHash('sha256').update(Buffer.from(keyBase64, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

export function normaliseFingerprint(fp: string): string {
  return `SHA256:${fp.replace(/^SHA256:/, '').replace(/=+$/, '')}`;
}

/**
 * Lines of `ssh-keyscan` output (`[host]:port type base64`) whose key has the pinned fingerprint. Keyscan trusts
 * nothing; only a key that matches the configured fingerprint is written to the known_hosts we pass to ssh.
 */
export function matchingKeyLines(keyscanOutput: string, pinned: string): string[] {
  const want = normaliseFingerprint(pinned);
  return keyscanOutput
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .filter((l) => {
      const key = l.split(/\s+/)[2];
      return key !== undefined && fingerprintOf(key) === want;
    });
}

/**
 * Turns ssh's own words into one of our typed errors; `what` names the host and the action for the user. What ssh
 * (or the remote command) printed is quoted without anything that looks like key material, and bounded.
 */
export function classifySshFailure(what: string, r: ExecResult, timeoutMs: number): UpsguardError {
  const text = redactKeyMaterial(r.stderr).trim();
  const say = (code: ErrorCode, why: string): UpsguardError =>
    new UpsguardError(code, `${what}: ${why}${text ? ` (ssh: ${lastLine(text)})` : ''}`, { exit: r.code });
  if (r.spawnError) return say(ErrorCode.DriverFailure, `cannot run the ssh client (${r.spawnError})`);
  if (r.timedOut) return say(ErrorCode.DriverTimeout, `timed out after ${timeoutMs} ms`);
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|host key .* is not known/i.test(text))
    return say(ErrorCode.DriverHostKey, 'the host key does not match the pinned one; check the host or re-pin it');
  if (/Permission denied \((publickey|password|keyboard)/i.test(text) || /Too many authentication failures/.test(text))
    return say(ErrorCode.DriverAuth, 'the key was refused; add its public half to authorized_keys on the host');
  if (/Load key .*: (No such file|Permission denied|invalid format)|no such identity/i.test(text))
    return say(ErrorCode.DriverAuth, 'the private key file cannot be read');
  if (
    /Connection refused|Connection timed out|No route to host|Network is unreachable|Could not resolve hostname|Connection reset|kex_exchange_identification|Connection closed by .* port/i.test(
      text,
    )
  )
    return say(ErrorCode.DriverUnreachable, 'the host does not answer on its SSH port');
  if (r.code === 126 || /sudo: .*(password is required|not allowed|may not run)|not in the sudoers/i.test(text))
    return say(ErrorCode.DriverPermission, 'the host refused the command (forced command or sudoers)');
  return say(ErrorCode.DriverFailure, `the command failed with exit ${r.code ?? 'signal'}`);
}

function lastLine(s: string): string {
  const lines = s.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: Permanently added'));
  return peerText(lines[lines.length - 1] ?? s);
}

/** Whether something accepts a TCP connection on address:port within `timeoutMs`. */
export function tcpAnswers(address: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, address, () => done(true));
  });
}

let scratchDir: string | undefined;

/**
 * A private file (pinned known_hosts, the virsh ssh wrapper) in one per-process temp dir removed at exit, named by
 * its content so drivers built again (config reload, tests) reuse it instead of leaving files behind.
 */
export function scratchFile(label: string, content: string, mode: number): string {
  if (scratchDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'upsguard-drivers-'));
    scratchDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = join(scratchDir, `${label}-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`);
  // Never rewritten: another call may be reading or executing it right now.
  if (!existsSync(file)) writeFileSync(file, content, { mode });
  return file;
}
